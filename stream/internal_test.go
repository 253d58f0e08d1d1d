package stream

import (
	"bufio"
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	const lo, hi = 500 * time.Millisecond, 30 * time.Second
	for _, tt := range []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{0, 0, 250 * time.Millisecond},
		{0, 0.999999, 500 * time.Millisecond},
		{1, 0, 500 * time.Millisecond},
		{3, 0.5, 3 * time.Second},        // base 4s: 2s + 1s
		{6, 0, 15 * time.Second},         // base 32s capped to 30s
		{6, 0.999999, 30 * time.Second},  // never above the cap
		{1_000_000, 0, 15 * time.Second}, // no overflow, no stop: no elapsed-time cap
		{1_000_000, 0.999999, 30 * time.Second},
	} {
		got := backoffDelay(lo, hi, tt.n, tt.r)
		if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("backoffDelay(%v, %v, %d, %v) = %v; want %v", lo, hi, tt.n, tt.r, got, tt.want)
		}
	}
	for n := range 64 {
		if d := backoffDelay(lo, hi, n, jitter()); d < lo/2 || d > hi {
			t.Errorf("backoffDelay(n=%d) = %v; want within [%v, %v]", n, d, lo/2, hi)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"7", 7 * time.Second},
		{"-3", 0},
		{"99999999999999", maxRetryAfter},
		{"Fri, 02 Jan 2026 03:04:35 GMT", 30 * time.Second},
		{"Fri, 02 Jan 2026 03:00:00 GMT", 0},
		{"soon", 0},
	} {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestHTTPErrorPermanent(t *testing.T) {
	for code, want := range map[int]bool{
		204: true, 400: true, 401: true, 403: true, 404: true, 410: true, 499: true,
		408: false, 429: false, 500: false, 502: false, 503: false, 201: false, 302: false,
	} {
		e := &HTTPError{StatusCode: code}
		if e.Permanent() != want || errors.Is(e, ErrStreamRefused) != want {
			t.Errorf("HTTPError{%d}: Permanent() = %v, Is(ErrStreamRefused) = %v; want %v", code, e.Permanent(), errors.Is(e, ErrStreamRefused), want)
		}
	}
}

func TestHealthy(t *testing.T) {
	const maxB = time.Second
	for _, tt := range []struct {
		name string
		r    attemptResult
		want bool
	}{
		{"refused", attemptResult{}, false},
		{"accepted and hung up", attemptResult{connected: true, lived: time.Millisecond}, false},
		{"delivered an update", attemptResult{connected: true, updates: 1, lived: time.Millisecond}, true},
		{"quiet but long-lived", attemptResult{connected: true, lived: maxB}, true},
	} {
		if got := tt.r.healthy(maxB); got != tt.want {
			t.Errorf("%s: healthy() = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	live := context.Background()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	idle, cancelIdle := context.WithCancelCause(context.Background())
	cancelIdle(ErrIdleTimeout)
	for _, tt := range []struct {
		name      string
		ctx, actx context.Context
		err       error
		want      error
	}{
		{"clean close", live, live, nil, nil},
		{"cancel looks like EOF", canceled, canceled, nil, context.Canceled},
		{"idle looks like EOF", live, idle, nil, ErrIdleTimeout},
		{"idle as read error", live, idle, context.Canceled, ErrIdleTimeout},
		{"too long", live, live, bufio.ErrTooLong, ErrEventTooLarge},
		{"read error", live, live, io.ErrUnexpectedEOF, io.ErrUnexpectedEOF},
	} {
		got := classify(tt.ctx, tt.actx, tt.err)
		if !errors.Is(got, tt.want) || (tt.want == nil && got != nil) {
			t.Errorf("%s: classify(%v) = %v; want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestWatchdog(t *testing.T) {
	const limit = 50 * time.Millisecond
	t.Run("fires when idle", func(t *testing.T) {
		fired := make(chan struct{})
		w := newWatchdog(limit, func() { close(fired) })
		defer w.stop()
		<-fired // would hang (test timeout) if it never fired
	})
	t.Run("not while busy", func(t *testing.T) {
		fired := make(chan struct{}, 1)
		w := newWatchdog(limit, func() { fired <- struct{}{} })
		w.setBusy(true)
		time.Sleep(4 * limit)
		select {
		case <-fired:
			t.Fatal("fired while the handler was busy")
		default:
		}
		w.setBusy(false)
		<-fired
		w.stop()
	})
	t.Run("not after stop", func(t *testing.T) {
		fired := make(chan struct{}, 1)
		w := newWatchdog(limit, func() { fired <- struct{}{} })
		w.stop()
		time.Sleep(3 * limit)
		if len(fired) != 0 {
			t.Fatal("fired after stop")
		}
	})
	t.Run("shorten", func(t *testing.T) {
		fired := make(chan struct{})
		w := newWatchdog(time.Hour, func() { close(fired) })
		defer w.stop()
		w.shorten(limit)
		<-fired
	})
}
