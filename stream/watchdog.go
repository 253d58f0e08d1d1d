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
// Its timer runs on the Client's Clock in a goroutine of its own, which
// stop ends and waits for.
type watchdog struct {
	clock retry.Clock
	start time.Time
	limit atomic.Int64 // time.Duration
	last  atomic.Int64 // time.Duration since start of the last activity
	busy  atomic.Bool  // the handler is running
	fire  func()

	rearm    chan struct{} // the limit was lowered; buffered, 1
	quit     chan struct{} // closed by stop
	done     chan struct{} // closed when run returns
	stopOnce sync.Once
}

func newWatchdog(clock retry.Clock, limit time.Duration, fire func()) *watchdog {
	w := &watchdog{
		clock: clock, start: clock.Now(), fire: fire,
		rearm: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
	}
	w.limit.Store(int64(limit))
	go w.run()
	return w
}

// run waits out the idle limit, re-arming while there was activity or the
// handler is busy, and fires once it passed in silence.
func (w *watchdog) run() {
	defer close(w.done)
	wait := time.Duration(w.limit.Load())
	for {
		t := w.clock.NewTimer(wait)
		select {
		case <-w.quit:
			t.Stop()
			return
		case <-w.rearm:
			t.Stop()
			wait = w.remaining()
			continue
		case <-t.C():
		}
		if w.busy.Load() {
			wait = time.Duration(w.limit.Load())
			continue
		}
		if wait = w.remaining(); wait <= 0 {
			w.fire()
			return
		}
	}
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
	select {
	case w.rearm <- struct{}{}:
	default: // a re-arm is pending already and will read the new limit
	}
}

// remaining is the time left before the limit.
func (w *watchdog) remaining() time.Duration {
	idle := retry.Since(w.clock, w.start) - time.Duration(w.last.Load())
	return time.Duration(w.limit.Load()) - idle
}

// stop disarms the watchdog; fire is not called after stop returns.
func (w *watchdog) stop() {
	w.stopOnce.Do(func() { close(w.quit) })
	<-w.done
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
