package bridge_test

import (
	"context"
	"net/http"
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

// A status that is permanently bad (here a 400 every time) is asked for
// less and less often, at most a minute apart, and the watch ends with
// watch.failed once GiveUpAfter passed with nothing but failures, instead
// of polling every interval until the TTL.
func TestFailingStatusBacksOffAndGivesUp(t *testing.T) {
	clock := retrytest.NewClock()
	h := newHarness(t, modePoll, func(c *bridge.ManagerConfig) {
		c.Clock, c.PollInterval, c.GiveUpAfter = clock, 2*time.Second, 10*time.Minute
	})
	st := h.create(t, transloadittest.Script{Tick: time.Hour})
	h.srv.SetOnStatus(func(id string, _ *http.Request) (int, []byte, bool) {
		return http.StatusBadRequest, []byte(`{"error":"INVALID_INPUT","message":"no"}`), id == st.AssemblyID
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := h.m.Watch(ctx, bridge.WatchRequest{AssemblyID: st.AssemblyID}); err != nil {
		t.Fatal(err)
	}
	done := make(chan bridge.Outcome, 1)
	waitCtx, stopWaiting := context.WithCancel(ctx)
	defer stopWaiting()
	go func() {
		o, _ := h.m.Wait(ctx, st.AssemblyID)
		done <- o
		stopWaiting()
	}()
	// Drive the clock one pending timer at a time until the watch ends.
	for steps := 0; ; steps++ {
		select {
		case o := <-done:
			if o != bridge.OutcomeWatchFailed {
				t.Fatalf("outcome = %q; want %q", o, bridge.OutcomeWatchFailed)
			}
			reqs := len(h.srv.StatusRequests(st.AssemblyID))
			// Every 2 s for 10 minutes would be 300 requests.
			if reqs > 30 {
				t.Errorf("%d status requests in 10 minutes of failures; want backoff to a minute", reqs)
			}
			evs := h.events(t, st.AssemblyID)
			if last := evs[len(evs)-1]; last.Type != schemas.TypeWatchFailed {
				t.Errorf("last event %s; want watch.failed", last.Type)
			}
			return
		default:
		}
		if steps > 1000 {
			t.Fatal("the watch did not give up")
		}
		// The TTL and the wait for the next fetch.
		if err := clock.WaitTimers(waitCtx, 2, 25*time.Hour); err != nil {
			if ctx.Err() != nil {
				t.Fatalf("worker timers: %v after %d steps, %d requests", err, steps, len(h.srv.StatusRequests(st.AssemblyID)))
			}
			continue // the watch ended meanwhile
		}
		if d, ok := clock.Next(); ok {
			clock.Advance(d)
		}
	}
}
