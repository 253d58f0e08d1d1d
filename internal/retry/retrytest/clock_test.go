package retrytest_test

import (
	"context"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry/retrytest"
)

func TestClock(t *testing.T) {
	c := retrytest.NewClock()
	if !c.Now().Equal(retrytest.Epoch) {
		t.Fatalf("Now = %v; want Epoch", c.Now())
	}
	soon, later, stopped := c.NewTimer(time.Second), c.NewTimer(time.Minute), c.NewTimer(time.Second)
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop: want true once, then false")
	}
	if d, ok := c.Next(); !ok || d != time.Second {
		t.Errorf("Next = %v, %v; want 1s, true", d, ok)
	}
	if n := c.Pending(time.Second); n != 1 {
		t.Errorf("Pending(1s) = %d; want 1", n)
	}
	c.Advance(time.Second)
	if at := <-soon.C(); !at.Equal(retrytest.Epoch.Add(time.Second)) {
		t.Errorf("fired at %v; want Epoch+1s", at)
	}
	select {
	case <-later.C():
		t.Error("the one-minute timer fired after a second")
	case <-stopped.C():
		t.Error("a stopped timer fired")
	default:
	}
	if d, ok := c.Next(); !ok || d != time.Minute-time.Second {
		t.Errorf("Next after a second = %v, %v; want 59s, true", d, ok)
	}
	if soon.Stop() {
		t.Error("Stop of a fired timer = true")
	}
	if now := c.NewTimer(0); len(now.C()) != 1 {
		t.Error("a zero timer has not fired")
	}
}

func TestWaitTimers(t *testing.T) {
	c := retrytest.NewClock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		c.NewTimer(time.Hour)
		c.NewTimer(2 * time.Hour)
	}()
	if err := c.WaitTimers(ctx, 2, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithCancel(ctx)
	cancelShort()
	if err := c.WaitTimers(short, 3, time.Hour); err == nil {
		t.Error("WaitTimers for a timer never armed = nil; want the ctx error")
	}
}

func TestClockAfterFunc(t *testing.T) {
	c := retrytest.NewClock()
	fired := make(chan string, 3)
	c.AfterFunc(time.Second, func() { fired <- "soon" })
	stopped := c.AfterFunc(time.Second, func() { fired <- "stopped" })
	c.AfterFunc(0, func() { fired <- "now" })
	if got := <-fired; got != "now" {
		t.Fatalf("first callback = %q; want the one due at once", got)
	}
	if !stopped.Stop() {
		t.Error("Stop of a pending callback = false; want true")
	}
	if n := c.Pending(time.Second); n != 1 {
		t.Errorf("Pending(1s) = %d; want 1", n)
	}
	c.Advance(time.Second)
	if got := <-fired; got != "soon" {
		t.Fatalf("callback after Advance = %q; want soon", got)
	}
	select {
	case got := <-fired:
		t.Errorf("callback %q ran; want none", got)
	case <-time.After(20 * time.Millisecond):
	}
}
