// Package retrytest provides a fake retry.Clock that moves only when a
// test says so.
package retrytest

import (
	"context"
	"sync"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
)

// Epoch is where a new Clock starts: a fixed instant, so that tests print
// the same times on every run.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Clock is a retry.Clock whose time moves only on Advance. Its timers fire
// when Advance reaches them. It is safe for concurrent use.
type Clock struct {
	mu      sync.Mutex // guards every field below and every timer's state
	now     time.Time
	timers  []*timer
	created chan struct{} // closed and replaced whenever a timer is armed
}

var (
	_ retry.Clock = (*Clock)(nil)
	_ retry.Timer = (*timer)(nil)
)

// NewClock returns a Clock reading Epoch.
func NewClock() *Clock { return &Clock{now: Epoch, created: make(chan struct{})} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer arms a timer that fires once the clock has advanced by d; one
// with d <= 0 has fired already.
func (c *Clock) NewTimer(d time.Duration) retry.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{c: make(chan time.Time, 1), at: c.now.Add(d), clock: c}
	if d <= 0 {
		t.fired = true
		t.c <- c.now
	} else {
		c.timers = append(c.timers, t)
	}
	close(c.created)
	c.created = make(chan struct{})
	return t
}

// Advance moves the clock by d and fires the timers that are due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	live := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped || t.fired:
		case !t.at.After(c.now):
			t.fired = true
			if t.f != nil {
				go t.f()
			} else {
				t.c <- c.now
			}
		default:
			live = append(live, t)
		}
	}
	clear(c.timers[len(live):])
	c.timers = live
}

// AfterFunc implements retry.Clock: f runs in its own goroutine once
// Advance reaches d (at once if d <= 0). The timer counts as pending
// until then.
func (c *Clock) AfterFunc(d time.Duration, f func()) retry.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{at: c.now.Add(d), clock: c, f: f}
	if d <= 0 {
		t.fired = true
		go f()
	} else {
		c.timers = append(c.timers, t)
	}
	close(c.created)
	c.created = make(chan struct{})
	return t
}

// Pending counts the armed timers due no later than d from now.
func (c *Clock) Pending(d time.Duration) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pendingLocked(d)
}

func (c *Clock) pendingLocked(d time.Duration) int {
	n := 0
	for _, t := range c.timers {
		if !t.stopped && !t.fired && !t.at.After(c.now.Add(d)) {
			n++
		}
	}
	return n
}

// Next returns how long until the earliest armed timer fires; ok is false
// when none is armed.
func (c *Clock) Next() (d time.Duration, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.timers {
		if t.stopped || t.fired {
			continue
		}
		if left := t.at.Sub(c.now); !ok || left < d {
			d, ok = left, true
		}
	}
	return d, ok
}

// WaitTimers blocks until at least n armed timers are due no later than d
// from now, so that a test advances time only once the code under test is
// waiting. It returns ctx's error if ctx ends first.
func (c *Clock) WaitTimers(ctx context.Context, n int, d time.Duration) error {
	for {
		c.mu.Lock()
		ok, created := c.pendingLocked(d) >= n, c.created
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-created:
		}
	}
}

type timer struct {
	c       chan time.Time // nil for AfterFunc
	f       func()         // set by AfterFunc
	at      time.Time
	clock   *Clock
	stopped bool // guarded by clock.mu
	fired   bool // guarded by clock.mu
}

func (t *timer) C() <-chan time.Time { return t.c }

func (t *timer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := !t.stopped && !t.fired
	t.stopped = true
	return was
}
