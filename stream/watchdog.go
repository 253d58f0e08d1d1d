package stream

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
)

// watchdog calls fire once when no byte has arrived for limit. It watches
// bytes, not events: the SSE library swallows comment lines, so a server's
// keep-alives would be invisible at the event level. Time inside the
// handler does not count; a slow consumer is not a dead server.
//
// Its timer is a callback on the Client's Clock, so a stream waiting for
// its next byte costs no goroutine of its own.
type watchdog struct {
	clock retry.Clock
	start time.Time
	limit atomic.Int64 // time.Duration
	last  atomic.Int64 // time.Duration since start of the last activity
	busy  atomic.Bool  // the handler is running
	fire  func()

	mu      sync.Mutex // guards timer and stopped; held while fire runs
	timer   retry.Timer
	stopped bool
}

func newWatchdog(clock retry.Clock, limit time.Duration, fire func()) *watchdog {
	w := &watchdog{clock: clock, start: clock.Now(), fire: fire}
	w.limit.Store(int64(limit))
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armLocked(limit)
	return w
}

// check runs when the timer is due: it re-arms while there was activity
// or the handler is busy, and fires once the limit passed in silence.
func (w *watchdog) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	wait := w.remaining()
	if w.busy.Load() {
		wait = time.Duration(w.limit.Load())
	}
	if wait > 0 {
		w.armLocked(wait)
		return
	}
	w.stopped = true
	w.fire()
}

// armLocked sets the timer to check after d. w.mu must be held.
func (w *watchdog) armLocked(d time.Duration) {
	w.timer = w.clock.AfterFunc(d, w.check)
}

// touch records activity now.
func (w *watchdog) touch() { w.last.Store(int64(retry.Since(w.clock, w.start))) }

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
		w.timer.Stop()
		w.armLocked(w.remaining())
	}
}

// remaining is the time left before the limit.
func (w *watchdog) remaining() time.Duration {
	idle := retry.Since(w.clock, w.start) - time.Duration(w.last.Load())
	return time.Duration(w.limit.Load()) - idle
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
	base http.RoundTripper // nil: defaultTransport
	wd   *watchdog
}

func (t *watchedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = defaultTransport()
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
