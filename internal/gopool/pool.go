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

// Pool runs tasks on its goroutines: one waiting for a task if there is
// one, else a new one. Handing a task over takes no lock and never waits:
// on a loaded machine, a lock every task passes through, or a wait for a
// goroutine to be scheduled, would queue the callers behind each other.
// The pool has no bound of its own; the callers bound their tasks. Its
// methods are safe for concurrent use.
type Pool struct {
	tasks chan func() // unbuffered: received only by a waiting goroutine
	quit  chan struct{}
	idle  time.Duration
	wg    sync.WaitGroup
	once  sync.Once
	live  atomic.Int64 // goroutines of the pool, busy or waiting
}

// Option configures a Pool.
type Option func(*Pool)

// WithIdle sets how long a goroutine waits for a task before it exits.
func WithIdle(d time.Duration) Option { return func(p *Pool) { p.idle = d } }

// New returns a Pool with no goroutine yet. The caller must Close it.
func New(opts ...Option) *Pool {
	p := &Pool{tasks: make(chan func()), quit: make(chan struct{}), idle: DefaultIdle}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Go runs f on a goroutine of the pool. It does not wait for f. A call of
// Go must happen before Close or after it returned; after, f still runs,
// on a goroutine that exits when f returns.
func (p *Pool) Go(f func()) {
	select {
	case p.tasks <- f:
	default:
		p.wg.Go(func() { p.work(f) })
	}
}

// work runs f, then the tasks handed to it, until it waited idle long
// enough or the pool closed.
func (p *Pool) work(f func()) {
	p.live.Add(1)
	defer p.live.Add(-1)
	idle := time.NewTimer(p.idle)
	defer idle.Stop()
	for {
		f()
		idle.Reset(p.idle)
		select {
		case f = <-p.tasks:
		case <-idle.C:
			return
		case <-p.quit:
			return
		}
	}
}

// Close lets the waiting goroutines go and waits for every task given so
// far to return.
func (p *Pool) Close() {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
}
