package retry

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps every server hint read here, so that a bogus value
// cannot overflow a Duration or park a caller indefinitely. Callers cap
// further to what they can afford to wait.
const MaxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads a Retry-After header: a count of seconds, possibly
// fractional (the API's own hints are), or an HTTP date. The result is in
// [0, MaxRetryAfter]; zero when the header is absent, unreadable, negative
// or a date already past.
func ParseRetryAfter(header string, now time.Time) time.Duration {
	v := strings.TrimSpace(header)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		return Seconds(s)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), MaxRetryAfter)
	}
	return 0
}

// Seconds converts a server-supplied count of seconds (a Retry-After
// value, Transloadit's info.retryIn) into a Duration in [0, MaxRetryAfter],
// clamping nonsense (negative, NaN, infinite, huge) instead of overflowing.
func Seconds(s float64) time.Duration {
	switch {
	case math.IsNaN(s) || s <= 0:
		return 0
	case s >= MaxRetryAfter.Seconds():
		return MaxRetryAfter
	}
	return time.Duration(s * float64(time.Second))
}
