package stream

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// backoffDelay returns the wait before the next attempt after n
// consecutive unhealthy ones (n >= 0): lo doubled n times, capped at hi,
// with "equal jitter" (half fixed, half random, r in [0, 1)), so that
// clients cut off together do not return together, yet never hammer.
// There is no elapsed-time cap: the caller decides when to stop.
func backoffDelay(lo, hi time.Duration, n int, r float64) time.Duration {
	d := lo
	for i := 0; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	half := d / 2
	return half + time.Duration(r*float64(d-half))
}

// sleep waits d or until ctx ends, and reports whether it waited in full.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func jitter() float64 { return rand.Float64() }

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date),
// capped at maxRetryAfter; zero when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil {
		d = time.Duration(min(s, int(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
