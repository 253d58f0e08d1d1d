package bridge

import (
	"sync"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
)

// parking lets a watch wait for news with no goroutine of its own. A
// goroutine takes turns at the watch while news is ready; when none is,
// it parks the watch and leaves. News wakes the watch: a stream event, a
// notification, a timer, the end of the watch's context. The goroutine
// still taking turns then looks again, or a new one starts.
//
// A waiting watch then holds no stack: at one event a second, a watch
// spends nearly all its life waiting, and a stack it held would be one
// of its largest parts.
type parking struct {
	spawn  func(func()) // starts a goroutine
	resume func()       // what it runs: the watch's turns

	mu      sync.Mutex
	running bool // a goroutine takes turns, or the watch is over
	pending bool // news came while it did
}

// wake makes sure a goroutine looks at the watch's news.
func (p *parking) wake() {
	p.mu.Lock()
	if p.running {
		p.pending = true
		p.mu.Unlock()
		return
	}
	p.running = true
	p.mu.Unlock()
	p.spawn(p.resume)
}

// park is called by the goroutine taking turns once it found no news. It
// reports whether the goroutine may leave; false means news came since it
// last looked, and it looks again.
func (p *parking) park() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending {
		p.pending = false
		return false
	}
	p.running = false
	return true
}

// wakeTimer is a Clock timer that wakes its watch when it fires.
type wakeTimer struct {
	t retry.Timer
	c chan time.Time
}

// newTimer returns a timer that fires once after d and wakes the watch.
func (r *watchRun) newTimer(d time.Duration) retry.Timer {
	t := &wakeTimer{c: make(chan time.Time, 1)}
	clock, p := r.env.clock, &r.w.park
	t.t = clock.AfterFunc(d, func() {
		t.c <- clock.Now()
		p.wake()
	})
	return t
}

func (t *wakeTimer) C() <-chan time.Time { return t.c }
func (t *wakeTimer) Stop() bool          { return t.t.Stop() }
