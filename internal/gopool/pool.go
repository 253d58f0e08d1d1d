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

// Pool runs tasks on its goroutines: an idle one if there is one, else a
// new one. It has no bound of its own; the callers bound their tasks.
// Its methods are safe for concurrent use.
type Pool struct {
	tasks chan func() // unbuffered, received by idle goroutines
	quit  chan struct{}
	idle  time.Duration
	wg    sync.WaitGroup
	once  sync.Once
	live  atomic.Int64 // goroutines of the pool, busy or idle

	mu sync.Mutex
	// waiting counts the idle goroutines no task was promised to. Go
	// takes one before it sends, and a goroutine leaves only by taking
	// one, so a promised task always finds a goroutine to receive it.
	waiting int

	// onIdle, set by tests only, is called each time a goroutine has
	// become idle.
	onIdle func()
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
	if p.takeWaiting() {
		p.tasks <- f
		return
	}
	p.wg.Go(func() { p.work(f) })
}

// takeWaiting promises the next task to an idle goroutine, if any.
func (p *Pool) takeWaiting() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waiting == 0 {
		return false
	}
	p.waiting--
	return true
}

func (p *Pool) setWaiting() {
	p.mu.Lock()
	p.waiting++
	p.mu.Unlock()
	if p.onIdle != nil {
		p.onIdle()
	}
}

// work runs f, then the tasks handed to it, until it waited idle long
// enough or the pool closed.
func (p *Pool) work(f func()) {
	p.live.Add(1)
	defer p.live.Add(-1)
	idle := time.NewTimer(p.idle)
	defer idle.Stop()
	for ok := true; ok; {
		f()
		idle.Reset(p.idle)
		p.setWaiting()
		f, ok = p.next(idle.C)
	}
}

// next waits for a task; ok is false when the goroutine may exit instead.
func (p *Pool) next(expired <-chan time.Time) (f func(), ok bool) {
	select {
	case f = <-p.tasks:
		return f, true
	case <-expired:
	case <-p.quit:
	}
	if p.takeWaiting() {
		return nil, false
	}
	// Meanwhile every idle goroutine was promised a task, this one too.
	return <-p.tasks, true
}

// Close lets the idle goroutines go and waits for every task given so far
// to return.
func (p *Pool) Close() {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
}
