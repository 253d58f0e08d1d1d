package bridge_test

import (
	"context"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/internal/retry/retrytest"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/schemas"
)

// The watch TTL is a deadline on the watch's clock: a day of silence
// upstream ends the watch with watch.expired, with no real waiting.
func TestWatchTTLOnTheWatchClock(t *testing.T) {
	clock := retrytest.NewClock()
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
	if err := clock.WaitTimers(ctx, 2, 24*time.Hour); err != nil {
		t.Fatal("the worker never armed its poll and TTL timers")
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
