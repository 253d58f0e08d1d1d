package stream

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/retry/retrytest"
)

// TestCheckResponseHint: a refusal carries the larger of Retry-After
// (whole or fractional seconds, or a date) and the body's info.retryIn,
// capped at maxRetryAfter.
func TestCheckResponseHint(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		header, body string
		want         time.Duration
	}{
		{"", "", 0},
		{"7", "", 7 * time.Second},
		{"1.5", "", 1500 * time.Millisecond},
		{"-3", "", 0},
		{"99999999999999", "", maxRetryAfter},
		{"Fri, 02 Jan 2026 03:04:35 GMT", "", 30 * time.Second},
		{"Fri, 02 Jan 2026 03:00:00 GMT", "", 0},
		{"soon", "", 0},
		{"1", `{"error":"RATE_LIMIT_REACHED","info":{"retryIn":2.5}}`, 2500 * time.Millisecond},
		{"3", `{"error":"RATE_LIMIT_REACHED","info":{"retryIn":0.5}}`, 3 * time.Second},
		{"", `{"error":"RATE_LIMIT_REACHED","info":{"retryIn":1e12}}`, maxRetryAfter},
		{"", `{"error":"RATE_LIMIT_REACHED","info":{"retryIn":-4}}`, 0},
	} {
		resp := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body))}
		if tt.header != "" {
			resp.Header.Set("Retry-After", tt.header)
		}
		var se *retry.StatusError
		if err := checkResponse(resp, now); !errors.As(err, &se) || se.RetryAfter != tt.want {
			t.Errorf("Retry-After %q, body %q: checkResponse = %v (hint %v); want a *retry.StatusError with hint %v", tt.header, tt.body, err, se, tt.want)
		}
	}
}

func TestRefusalPermanent(t *testing.T) {
	for code, want := range map[int]bool{
		204: true, 400: true, 401: true, 403: true, 404: true, 410: true, 499: true,
		408: false, 429: false, 500: false, 502: false, 503: false, 201: false, 302: false,
	} {
		e := refusal(code, "", "", 0)
		if permanent(code) != want || errors.Is(e, ErrStreamRefused) != want {
			t.Errorf("HTTP %d: permanent = %v, Is(ErrStreamRefused) = %v; want %v", code, permanent(code), errors.Is(e, ErrStreamRefused), want)
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

// TestWatchdog drives the watchdog's timer with a fake clock: it fires
// exactly when the limit has passed in silence, and never while the handler
// is busy or after stop.
func TestWatchdog(t *testing.T) {
	const limit = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := func(t *testing.T, limit time.Duration) (*watchdog, *retrytest.Clock, chan struct{}) {
		clock := retrytest.NewClock()
		fired := make(chan struct{}, 1)
		w := newWatchdog(clock, limit, func() { fired <- struct{}{} })
		t.Cleanup(w.stop)
		return w, clock, fired
	}
	// advance waits for the watchdog to arm its timer, then moves time.
	advance := func(t *testing.T, clock *retrytest.Clock, d time.Duration) {
		t.Helper()
		if err := clock.WaitTimers(ctx, 1, time.Hour); err != nil {
			t.Fatal("the watchdog never armed its timer")
		}
		clock.Advance(d)
	}
	quiet := func(t *testing.T, fired chan struct{}, what string) {
		t.Helper()
		select {
		case <-fired:
			t.Fatal("fired " + what)
		default:
		}
	}
	t.Run("fires when idle", func(t *testing.T) {
		_, clock, fired := start(t, limit)
		advance(t, clock, limit)
		<-fired
	})
	t.Run("activity postpones", func(t *testing.T) {
		w, clock, fired := start(t, limit)
		advance(t, clock, limit/2)
		w.touch()
		advance(t, clock, limit/2)
		quiet(t, fired, "half a limit after activity")
		advance(t, clock, limit/2)
		<-fired
	})
	t.Run("not while busy", func(t *testing.T) {
		w, clock, fired := start(t, limit)
		w.setBusy(true)
		advance(t, clock, limit)
		advance(t, clock, 3*limit)
		quiet(t, fired, "while the handler was busy")
		w.setBusy(false)
		advance(t, clock, limit)
		<-fired
	})
	t.Run("not after stop", func(t *testing.T) {
		w, clock, fired := start(t, limit)
		if err := clock.WaitTimers(ctx, 1, time.Hour); err != nil {
			t.Fatal(err)
		}
		w.stop()
		clock.Advance(3 * limit)
		quiet(t, fired, "after stop")
	})
	t.Run("shorten", func(t *testing.T) {
		w, clock, fired := start(t, time.Hour)
		w.shorten(limit)
		if err := clock.WaitTimers(ctx, 1, limit); err != nil {
			t.Fatal("the watchdog never re-armed for the shorter limit")
		}
		clock.Advance(limit)
		<-fired
	})
}
