package poller

import (
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
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

// retryHint returns the server's retry hint: info.retryIn when positive,
// else the Retry-After header, else zero.
func retryHint(retryIn float64, retryAfter string, now time.Time) time.Duration {
	if retryIn > 0 {
		return retry.Seconds(retryIn)
	}
	return retry.ParseRetryAfter(retryAfter, now)
}
