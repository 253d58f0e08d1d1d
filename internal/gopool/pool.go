package gopool

import (
	"sync"
	"sync/atomic"
	"time"
)

// DefaultIdle is how long a goroutine of a Pool waits for a task before
// it exits: a busy caller gives the next task within microseconds, and
// the goroutines a burst needed should not outlast it by much.
const DefaultIdle = time.Second

// Pool runs tasks on its goroutines: the one that became idle last, or a
// new one. Handing a task over never waits.
//
// The last idle goroutine goes first, so that after a burst the surplus
// stays idle and exits: handed round all idle goroutines in turn, as a
// shared channel would, a steady trickle of tasks would keep every one of
// them, and its stack, alive. The pool has no bound of its own; the
// callers bound their tasks. Its methods are safe for concurrent use.
type Pool struct {
	idle time.Duration
	wg   sync.WaitGroup
	live atomic.Int64 // goroutines of the pool, busy or idle

	mu      sync.Mutex // guards ready, closed, janitor
	ready   []*idler   // idle goroutines, the one idle longest first
	closed  bool
	janitor chan struct{} // closed to stop the janitor; nil until it runs
}

// idler is an idle goroutine: it receives its next task on ch, or nil to
// exit.
type idler struct {
	ch    chan func() // buffered: a task is handed over without waiting
	since time.Time
}

// Option configures a Pool.
type Option func(*Pool)

// WithIdle sets how long a goroutine waits for a task before it exits.
func WithIdle(d time.Duration) Option { return func(p *Pool) { p.idle = d } }

// New returns a Pool with no goroutine yet. The caller must Close it.
func New(opts ...Option) *Pool {
	p := &Pool{idle: DefaultIdle}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Go runs f on a goroutine of the pool. It does not wait for f. A call of
// Go must happen before Close or after it returned; after, f still runs,
// on a goroutine that exits when f returns.
func (p *Pool) Go(f func()) {
	if w := p.takeIdle(); w != nil {
		w.ch <- f
		return
	}
	p.wg.Go(func() { p.work(f) })
}

func (p *Pool) takeIdle() *idler {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.ready)
	if n == 0 {
		return nil
	}
	w := p.ready[n-1]
	p.ready[n-1] = nil
	p.ready = p.ready[:n-1]
	return w
}

// work runs f, then the tasks handed to it, until it is retired.
func (p *Pool) work(f func()) {
	p.live.Add(1)
	defer p.live.Add(-1)
	w := &idler{ch: make(chan func(), 1)}
	for f != nil {
		f()
		if !p.setIdle(w) {
			return
		}
		f = <-w.ch
	}
}

// setIdle adds w to the idle goroutines; false means the pool is closed
// and w exits.
func (p *Pool) setIdle(w *idler) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	w.since = time.Now()
	p.ready = append(p.ready, w)
	if p.janitor == nil {
		p.janitor = make(chan struct{})
		p.wg.Go(func() { p.sweep(p.janitor) })
	}
	return true
}

// sweep retires the goroutines idle too long, every half idle period,
// until stop is closed.
func (p *Pool) sweep(stop <-chan struct{}) {
	t := time.NewTicker(max(p.idle/2, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			p.retire(now.Add(-p.idle))
		}
	}
}

// retire lets the goroutines idle since before cutoff go: the first ones
// in ready.
func (p *Pool) retire(cutoff time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for n < len(p.ready) && p.ready[n].since.Before(cutoff) {
		p.ready[n].ch <- nil
		n++
	}
	p.ready = append(p.ready[:0], p.ready[n:]...)
	clear(p.ready[len(p.ready) : len(p.ready)+n])
}

// Close lets the idle goroutines go and waits for every task given so far
// to return.
func (p *Pool) Close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		for _, w := range p.ready {
			w.ch <- nil
		}
		p.ready = nil
		if p.janitor != nil {
			close(p.janitor)
		}
	}
	p.mu.Unlock()
	p.wg.Wait()
}
