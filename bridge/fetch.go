package bridge

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
)

// begin learns what the worker needs before it connects the stream and
// returns the stream URL: the request's, or else the one in the status,
// which then has to be fetched first. A notification that started the
// watch stands in for that fetch. ok is false when the watch is already
// over (r.outcome says how).
func (r *watchRun) begin(ctx context.Context, ttl <-chan time.Time) (url string, ok bool) {
	url = r.w.req.UpdateStreamURL
	if st := r.w.seed; st != nil {
		if r.observeStatus(st, schemas.SourceNotify) {
			return "", false
		}
		return cmp.Or(url, st.StreamURL()), true
	}
	if url != "" || r.env.disableStream {
		return url, true
	}
	if r.first(ctx, ttl) {
		return "", false
	}
	return r.streamURL, true
}

// first fetches and observes the first status; it reports whether the
// watch is over.
func (r *watchRun) first(ctx context.Context, ttl <-chan time.Time) bool {
	st, o := r.firstStatus(ctx, ttl)
	if o != "" {
		r.outcome = o
		return true
	}
	r.streamURL = st.StreamURL()
	return r.observeStatus(st, schemas.SourcePoll)
}

// firstStatus fetches until the Assembly is known, giving up after
// NotFoundGrace of "not found" answers or at the TTL.
func (r *watchRun) firstStatus(ctx context.Context, ttl <-chan time.Time) (*transloadit.Status, Outcome) {
	for {
		st, err := r.fetch(ctx)
		if err == nil {
			return st, ""
		}
		if o := r.fetchFailed(ctx, err); o != "" {
			return nil, o
		}
		if o := r.waitRetry(ctx, ttl); o != "" {
			return nil, o
		}
	}
}

func (r *watchRun) fetch(ctx context.Context) (*transloadit.Status, error) {
	st, err := r.env.poller.Fetch(ctx, r.target)
	if err == nil {
		r.notFound = time.Time{}
		if r.failures > 0 {
			r.w.log.Info("status fetch recovered", zap.Int("failures", r.failures))
		}
		r.clearFailures()
	}
	return st, err
}

// clearFailures ends a run of failures: news arrived, from a fetch or
// the stream.
func (r *watchRun) clearFailures() {
	r.failures = 0
	r.failingSince = time.Time{}
}

// maxRetryWait caps the wait between failing fetches.
const maxRetryWait = time.Minute

// retryWait is the wait before the next fetch after r.failures failures
// in a row: the poll interval doubled per failure, jittered, at most a
// minute. A status that keeps failing (a body over the bound, a 4xx) is
// then asked for politely instead of every poll interval.
func (r *watchRun) retryWait() time.Duration {
	b := retry.Backoff{Min: r.env.pollInterval, Max: max(r.env.pollInterval, maxRetryWait)}
	return b.Delay(r.failures - 1)
}

// waitRetry waits one poll period before the first status is fetched
// again; it returns the outcome that ends the watch meanwhile, or "".
func (r *watchRun) waitRetry(ctx context.Context, ttl <-chan time.Time) Outcome {
	t := r.env.clock.NewTimer(r.retryWait())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return OutcomeStopped
	case <-ttl:
		return r.giveUpExpired("watch TTL reached before the Assembly was seen")
	case <-t.C():
		return ""
	}
}

// fetchFailed decides what a failed fetch means: "" to keep going, or the
// outcome that ends the watch.
func (r *watchRun) fetchFailed(ctx context.Context, err error) Outcome {
	switch {
	case ctx.Err() != nil:
		return OutcomeStopped
	case errors.Is(err, transloadit.ErrURLNotAllowed):
		return r.giveUpFailed(err.Error())
	case errors.Is(err, poller.ErrAssemblyNotFound):
		if r.notFound.IsZero() {
			r.notFound = r.now()
		}
		if r.now().Sub(r.notFound) >= r.env.notFoundGrace {
			return r.giveUpFailed("assembly not found upstream")
		}
	}
	if r.failingSince.IsZero() {
		r.failingSince = r.now()
	}
	if d := r.now().Sub(r.failingSince); d >= r.env.giveUpAfter {
		return r.giveUpFailed(fmt.Sprintf("nothing but failed status fetches for %s; the last: %v", d.Round(time.Second), err))
	}
	// A failure that repeats is logged once; the recovery says how long
	// it lasted.
	if r.failures++; r.failures == 1 {
		r.w.log.Warn("status fetch failed; retrying", zap.Error(err))
	} else {
		r.w.log.Debug("status fetch failed again", zap.Int("failures", r.failures), zap.Error(err))
	}
	return ""
}
