package bridge_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
)

// fakeClock is a poller.Clock that moves only when the test says so.
type fakeClock struct {
	mu     sync.Mutex // guards now and timers
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       chan time.Time
	at      time.Time
	clock   *fakeClock
	stopped bool // guarded by clock.mu
	fired   bool // guarded by clock.mu
}

var _ poller.Clock = (*fakeClock)(nil)

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) poller.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: make(chan time.Time, 1), at: c.now.Add(d), clock: c}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		if !t.stopped && !t.fired && !t.at.After(c.now) {
			t.fired = true
			t.c <- c.now
		}
	}
}

// pending counts the armed timers that are due no later than d from now.
func (c *fakeClock) pending(d time.Duration) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.stopped && !t.fired && !t.at.After(c.now.Add(d)) {
			n++
		}
	}
	return n
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := !t.stopped && !t.fired
	t.stopped = true
	return was
}

// The watch TTL is a deadline on the watch's clock: a day of silence
// upstream ends the watch with watch.expired, with no real waiting.
func TestWatchTTLOnTheWatchClock(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, modePoll, func(c *bridge.ManagerConfig) {
		c.Clock, c.WatchTTL, c.PollInterval = clock, 24*time.Hour, time.Hour
	})
	st := h.create(t, transloadittest.Script{Tick: time.Hour}) // stays uploading
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := h.m.Watch(ctx, bridge.WatchRequest{AssemblyID: st.AssemblyID}); err != nil {
		t.Fatal(err)
	}
	// Once the worker waits on both its poll period and its TTL, a day passes.
	for clock.pending(24*time.Hour) < 2 {
		select {
		case <-ctx.Done():
			t.Fatal("the worker never armed its poll and TTL timers")
		case <-time.After(5 * time.Millisecond):
		}
	}
	clock.Advance(24 * time.Hour)
	if got, err := h.m.Wait(ctx, st.AssemblyID); err != nil || got != bridge.OutcomeExpired {
		t.Fatalf("Wait = %q, %v; want %q", got, err, bridge.OutcomeExpired)
	}
	evs := h.events(t, st.AssemblyID)
	last := evs[len(evs)-1]
	if last.Type != schemas.TypeWatchExpired || !last.Time.Equal(clock.Now()) {
		t.Errorf("last event %s at %v; want watch.expired at the clock's %v", last.Type, last.Time, clock.Now())
	}
}
