package bridge

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/poller"
)

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
			r.failures = 0
		}
	}
	return st, err
}

// waitRetry waits one poll period before the first status is fetched
// again; it returns the outcome that ends the watch meanwhile, or "".
func (r *watchRun) waitRetry(ctx context.Context, ttl <-chan time.Time) Outcome {
	t := r.env.clock.NewTimer(r.env.pollInterval)
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
	// A failure that repeats is logged once; the recovery says how long
	// it lasted.
	if r.failures++; r.failures == 1 {
		r.w.log.Warn("status fetch failed; retrying", zap.Error(err))
	} else {
		r.w.log.Debug("status fetch failed again", zap.Int("failures", r.failures), zap.Error(err))
	}
	return ""
}
