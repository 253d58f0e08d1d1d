package bridge_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/internal/retry/retrytest"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

// A watch waiting for news holds no goroutine; news wakes it: the update
// stream's events with the clock standing still, the poll timer without a
// stream. Not parallel: it counts the goroutines of the whole process.
func TestWaitingWatchHoldsNoGoroutine(t *testing.T) {
	for _, mode := range []string{modeSSE, modePoll} {
		t.Run(mode, func(t *testing.T) { testWaitingWatch(t, mode) })
	}
}

func testWaitingWatch(t *testing.T, mode string) {
	{
		clock := retrytest.NewClock()
		h := newHarness(t, mode, func(c *bridge.ManagerConfig) {
			c.Clock, c.PollInterval = clock, time.Hour
		})
		const n = 8
		var sts []*transloadit.Status
		for range n {
			st := h.create(t, transloadittest.Script{})
			if err := h.srv.Pause(st.AssemblyID); err != nil {
				t.Fatal(err)
			}
			sts = append(sts, st)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		for _, st := range sts {
			req := bridge.WatchRequest{AssemblyID: st.AssemblyID, AssemblySSLURL: st.AssemblySSLURL, UpdateStreamURL: st.UpdateStreamURL}
			if _, err := h.m.Watch(ctx, req); err != nil {
				t.Fatal(err)
			}
			// The first status is fetched: on connect, or at once without a
			// stream.
			if err := h.srv.AwaitStatusRequests(ctx, st.AssemblyID, 1); err != nil {
				t.Fatal(err)
			}
		}
		awaitNoTurns(ctx, t, n)
		for _, st := range sts {
			if err := h.srv.Resume(st.AssemblyID); err != nil {
				t.Fatal(err)
			}
		}
		if mode == modePoll {
			go advanceUntil(ctx, clock, time.Hour)
		}
		for _, st := range sts {
			if got, err := h.m.Wait(ctx, st.AssemblyID); err != nil || got != bridge.OutcomeCompleted {
				t.Fatalf("Wait(%s) = %q, %v; want %q", st.AssemblyID, got, err, bridge.OutcomeCompleted)
			}
		}
	}
}

// awaitNoTurns waits for a moment when no goroutine takes turns at a
// watch while n watches are open.
func awaitNoTurns(ctx context.Context, t *testing.T, n int) {
	t.Helper()
	for {
		turns := turnGoroutines()
		if turns == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d goroutines still run the turns of %d waiting watches", turns, n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// advanceUntil moves the clock by d every few milliseconds until ctx ends.
func advanceUntil(ctx context.Context, clock *retrytest.Clock, d time.Duration) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
			clock.Advance(d)
		}
	}
}

// turnGoroutines counts the goroutines running a watch (its start, or its
// turns).
func turnGoroutines() int {
	turns := 0
	for g := range goroutineStacks() {
		for _, fn := range []string{"bridge.(*Manager).runWatch(", "bridge.(*worker).run(", "bridge.(*watchRun).takeTurns("} {
			if bytes.Contains(g, []byte(fn)) {
				turns++
				break
			}
		}
	}
	return turns
}
