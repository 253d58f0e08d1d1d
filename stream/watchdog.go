package stream

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// watchdog calls fire once when no byte has arrived for limit. It watches
// bytes, not events: the SSE library swallows comment lines, so a server's
// keep-alives would be invisible at the event level. Time inside the
// handler does not count; a slow consumer is not a dead server.
type watchdog struct {
	start time.Time
	limit atomic.Int64 // time.Duration
	last  atomic.Int64 // time.Duration since start of the last activity
	busy  atomic.Bool  // the handler is running
	fire  func()

	mu      sync.Mutex // guards timer and stopped
	timer   *time.Timer
	stopped bool
}

func newWatchdog(limit time.Duration, fire func()) *watchdog {
	w := &watchdog{start: time.Now(), fire: fire}
	w.limit.Store(int64(limit))
	w.mu.Lock()
	w.timer = time.AfterFunc(limit, w.check)
	w.mu.Unlock()
	return w
}

// touch records activity now.
func (w *watchdog) touch() { w.last.Store(int64(time.Since(w.start))) }

// setBusy marks the handler as running or done; leaving it counts as
// activity, so the idle clock restarts after a slow handler.
func (w *watchdog) setBusy(b bool) {
	if !b {
		w.touch()
	}
	w.busy.Store(b)
}

// shorten lowers the limit (never raises it) and re-arms the timer.
func (w *watchdog) shorten(limit time.Duration) {
	if limit >= time.Duration(w.limit.Load()) {
		return
	}
	w.limit.Store(int64(limit))
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.timer.Reset(w.remainingLocked())
	}
}

// remainingLocked is the time left before the limit; w.mu must be held.
func (w *watchdog) remainingLocked() time.Duration {
	idle := time.Since(w.start) - time.Duration(w.last.Load())
	return time.Duration(w.limit.Load()) - idle
}

func (w *watchdog) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	if w.busy.Load() {
		w.timer.Reset(time.Duration(w.limit.Load()))
		return
	}
	if left := w.remainingLocked(); left > 0 {
		w.timer.Reset(left)
		return
	}
	w.stopped = true
	w.fire()
}

// stop disarms the watchdog; fire is not called after stop returns.
func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	w.timer.Stop()
}

// watchedTransport reports response headers and every body byte to a
// watchdog.
type watchedTransport struct {
	base http.RoundTripper // nil: http.DefaultTransport, read per request
	wd   *watchdog
}

func (t *watchedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	t.wd.touch()
	resp.Body = &watchedBody{ReadCloser: resp.Body, wd: t.wd}
	return resp, nil
}

type watchedBody struct {
	io.ReadCloser
	wd *watchdog
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.wd.touch()
	}
	return n, err
}
