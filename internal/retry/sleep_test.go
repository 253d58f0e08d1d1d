package retry_test

import (
	"context"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/retry/retrytest"
)

func TestSleepWaitsOnTheClock(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	clock := retrytest.NewClock()
	done := make(chan bool)
	go func() { done <- retry.Sleep(ctx, clock, time.Hour) }()
	if err := clock.WaitTimers(ctx, 1, time.Hour); err != nil {
		t.Fatal(err)
	}
	clock.Advance(59 * time.Minute)
	select {
	case <-done:
		t.Fatal("Sleep returned before its hour")
	default:
	}
	clock.Advance(time.Minute)
	if !<-done {
		t.Error("Sleep = false; want true after the full wait")
	}
	if n := clock.Pending(time.Hour); n != 0 {
		t.Errorf("%d timers left armed; want 0", n)
	}
}

func TestSleepEndsEarly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	clock := retrytest.NewClock()
	// Each case has its own stop: one closed by an earlier case would end
	// the next sleep before the test sees its timer.
	for name, end := range map[string]func(context.CancelFunc, chan struct{}){
		"ctx":  func(c context.CancelFunc, _ chan struct{}) { c() },
		"stop": func(_ context.CancelFunc, stop chan struct{}) { close(stop) },
	} {
		stop := make(chan struct{})
		sctx, scancel := context.WithCancel(ctx)
		done := make(chan bool)
		go func() { done <- retry.SleepOrStop(sctx, clock, time.Hour, stop) }()
		if err := clock.WaitTimers(ctx, 1, time.Hour); err != nil {
			t.Fatal(err)
		}
		end(scancel, stop)
		if <-done {
			t.Errorf("%s: SleepOrStop = true; want false", name)
		}
		scancel()
	}
}

func TestSleepNonPositive(t *testing.T) {
	clock := retrytest.NewClock()
	if !retry.Sleep(context.Background(), clock, 0) || !retry.Sleep(context.Background(), clock, -time.Second) {
		t.Error("Sleep(0) = false with a live ctx; want true")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if retry.Sleep(ctx, clock, 0) {
		t.Error("Sleep(0) = true with an ended ctx; want false")
	}
	stop := make(chan struct{})
	close(stop)
	if retry.SleepOrStop(context.Background(), clock, 0, stop) {
		t.Error("SleepOrStop(0) = true with stop closed; want false")
	}
}

func TestSystemClock(t *testing.T) {
	c := retry.SystemClock()
	start := c.Now()
	if !retry.Sleep(context.Background(), c, time.Millisecond) {
		t.Fatal("Sleep on the system clock = false")
	}
	if retry.Since(c, start) <= 0 {
		t.Error("Since = 0 after a sleep")
	}
	if tm := c.NewTimer(time.Hour); !tm.Stop() {
		t.Error("Stop of an armed timer = false")
	}
}
