package poller

import (
	"context"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
)

// The upstream limit: Transloadit refuses the (upstreamLimit+1)th status
// request for one Assembly inside any upstreamWindow.
const (
	upstreamLimit  = 3
	upstreamWindow = time.Second
	// windowMargin pads the window so that timer slack and the gap between
	// our clock readings and the server's arrival stamps never matter.
	windowMargin = 100 * time.Millisecond
)

// history is what the limiter remembers about one Assembly's requests.
//
// Spacing request starts by 1/MaxRPS sets the pace, but on its own it does
// not bound what the server sees: a slow request can arrive late, close to
// the ones after it. The window rule does: a request may start only
// upstreamWindow+windowMargin after the end of the request upstreamLimit
// back. A request arrives no later than it ends and no earlier than it
// starts, and only one is in flight at a time, so any upstreamLimit+1
// consecutive arrivals span more than the window.
type history struct {
	ends      [upstreamLimit]time.Time // ends of the last requests; ends[next] is the oldest
	next      int
	lastStart time.Time
	lastEnd   time.Time
	notBefore time.Time // set by a rate-limit answer
	inflight  bool
	idle      chan struct{} // closed when the request in flight ends; nil when none is
}

// earliest returns when the next request may start, given the pace.
func (h *history) earliest(spacing time.Duration) time.Time {
	t := h.notBefore
	if !h.lastStart.IsZero() {
		t = later(t, h.lastStart.Add(spacing))
	}
	if oldest := h.ends[h.next]; !oldest.IsZero() {
		t = later(t, oldest.Add(upstreamWindow+windowMargin))
	}
	return t
}

func (h *history) start(now time.Time) {
	h.lastStart = now
	h.inflight = true
	h.idle = make(chan struct{})
}

// end records the request in flight as over. arrivals is how many times
// it was written to the wire: net/http sends an idempotent GET again when
// a reused connection dies under it, and the server may have seen both.
// Each counts against the window.
func (h *history) end(now time.Time, arrivals int) {
	for range max(arrivals, 1) {
		h.ends[h.next] = now
		h.next = (h.next + 1) % upstreamLimit
	}
	h.lastEnd = now
	h.inflight = false
	close(h.idle)
	h.idle = nil
}

// penalize defers the next request to at least until.
func (h *history) penalize(until time.Time) {
	h.notBefore = later(h.notBefore, until)
}

// quiet reports whether forgetting the history now could let a later
// request break the upstream limit.
func (h *history) quiet(now time.Time) bool {
	return !h.inflight && !now.Before(h.notBefore) &&
		now.Sub(h.lastEnd) > upstreamWindow+windowMargin
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// acquire waits until e may send a request and one of the MaxInFlight
// slots is free, marks the request in flight, and returns its start time.
// The caller must call p.release(e) when the request is over, body read
// and decoded or not; that gives the slot back too.
//
// The slot is taken after the Assembly's own wait and before its request
// is recorded. A request that its Assembly's pace holds back then holds no
// slot a ready one could use; and the time spent waiting for a slot is
// neither counted against the Assembly nor taken for its start: the pace
// runs from when the request really goes out (and so does the start Fetch
// compares with its call), and a fetch whose context ends while it waits
// for a slot leaves the Assembly's history as it was.
func (p *Poller) acquire(ctx context.Context, e *entry) (time.Time, error) {
	for {
		if err := p.ready(ctx, e); err != nil {
			return time.Time{}, err
		}
		if err := p.takeSlot(ctx); err != nil {
			return time.Time{}, err
		}
		if now, ok := p.tryStart(e); ok {
			return now, nil
		}
		p.releaseSlot() // the Assembly's turn passed meanwhile; wait again
	}
}

// ready waits until e has no request in flight and its pace and window
// allow one now.
func (p *Poller) ready(ctx context.Context, e *entry) error {
	for {
		p.mu.Lock()
		if e.hist.inflight {
			idle := e.hist.idle
			p.mu.Unlock()
			select {
			case <-idle:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		now := p.clock.Now()
		at := e.hist.earliest(p.spacing)
		p.mu.Unlock()
		if !now.Before(at) {
			return nil
		}
		if !retry.Sleep(ctx, p.clock, at.Sub(now)) {
			return ctx.Err()
		}
	}
}

// tryStart marks a request of e in flight if one may start now, and
// returns its start.
func (p *Poller) tryStart(e *entry) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	if e.hist.inflight || now.Before(e.hist.earliest(p.spacing)) {
		return time.Time{}, false
	}
	e.hist.start(now)
	return now, true
}

func (p *Poller) release(e *entry, arrivals int) {
	p.mu.Lock()
	e.hist.end(p.clock.Now(), arrivals)
	p.mu.Unlock()
	p.releaseSlot()
}
