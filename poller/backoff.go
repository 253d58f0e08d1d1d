package poller

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// minRateLimitWait floors every rate-limit wait: the API has answered
	// retryIn 0 and 0.01, and retrying at once only earns another refusal.
	minRateLimitWait = time.Second
	// rateLimitJitter spreads rate-limit waits over [d, d*(1+rateLimitJitter))
	// so that many watchers told the same retryIn do not return together.
	rateLimitJitter = 0.2
)

// rateLimitWait turns the server's hint into the wait before the next
// attempt: at least minRateLimitWait, plus jitter, at most max. rnd is
// uniform in [0, 1).
func rateLimitWait(hint time.Duration, rnd float64, max time.Duration) time.Duration {
	d := hint
	if d < minRateLimitWait {
		d = minRateLimitWait
	}
	d += time.Duration(float64(d) * rateLimitJitter * rnd)
	if d > max {
		d = max
	}
	return d
}

// backoff returns the wait after the n-th (from 0) consecutive transient
// failure: min·2ⁿ capped at max, drawn from its upper half. rnd is uniform
// in [0, 1).
func backoff(n int, min, max time.Duration, rnd float64) time.Duration {
	d := min
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d/2 + time.Duration(float64(d/2)*rnd)
}

// retryHint returns the server's retry hint: info.retryIn when positive,
// else the Retry-After header (seconds, possibly fractional, or an HTTP
// date), else zero.
func retryHint(retryIn float64, retryAfter string, now time.Time) time.Duration {
	if retryIn > 0 {
		return seconds(retryIn)
	}
	v := strings.TrimSpace(retryAfter)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		return seconds(s)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// seconds converts a server-supplied count of seconds, clamping nonsense
// (negative, NaN, beyond a day) instead of overflowing.
func seconds(s float64) time.Duration {
	const day = 24 * time.Hour
	switch {
	case math.IsNaN(s) || s <= 0:
		return 0
	case s >= day.Seconds():
		return day
	}
	return time.Duration(s * float64(time.Second))
}
