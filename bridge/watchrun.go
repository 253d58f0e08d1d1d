package bridge

import (
	"context"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
)

// streamPollFactor stretches the poll period while the update stream is
// connected: the stream carries the news, the slow poll is a safety net
// for anything it missed.
const streamPollFactor = 10

// streamConnectGrace is how long a worker that knows nothing of its
// Assembly yet waits for the stream to connect (the fetch on connect is
// the first one) before it fetches the status anyway; the poll interval
// bounds it too.
const streamConnectGrace = time.Second

// watchRun is the state of one run of a worker: where news comes from and
// how the watch stands. Only the worker's goroutine touches it.
type watchRun struct {
	w         *worker
	env       *workerEnv
	pubCtx    context.Context
	target    poller.Target
	outcome   Outcome
	streaming bool
	streamOff bool   // the stream ended for good; poll only
	known     bool   // a full status was observed
	streamURL string // from the first status, when the request had none
	notFound  time.Time
	failures  int // consecutive failed fetches
	// failingSince is when the current run of failures began, with no
	// news since; zero when the last fetch worked.
	failingSince time.Time
	pubFailed    bool
	holding      bool       // publish adds to held; applyQueued sends the batch
	held         *heldBatch // encoded events not yet handed to the publisher; nil for none
	ahead        *readAhead // of the stream, if any
	// checkpointDue fires when a put-off checkpoint is due; nil when
	// none is pending.
	checkpointDue retry.Timer
	// progressDue fires when the normalizer's held progress reading may
	// go out; nil when none is held.
	progressDue retry.Timer
}

// loop is the worker's select loop, one case per source of news.
func (r *watchRun) loop(ctx context.Context, ttl <-chan time.Time, events <-chan streamEvent) Outcome {
	clock := r.env.clock
	poll := clock.NewTimer(r.pollEvery())
	defer func() { poll.Stop() }()
	// reset restarts the poll period; the Clock's timers are one-shot.
	reset := func() {
		poll.Stop()
		poll = clock.NewTimer(r.pollEvery())
	}
	defer r.setStreaming(false)
	defer func() {
		for _, t := range []retry.Timer{r.checkpointDue, r.progressDue} {
			if t != nil {
				t.Stop()
			}
		}
	}()
	r.armProgress()
	for {
		select {
		case <-ctx.Done():
			return OutcomeStopped
		case <-timerC(r.checkpointDue):
			r.writeCheckpoint()
		case <-timerC(r.progressDue):
			r.progressDue = nil
			now := r.now()
			r.publish(r.w.norm.FlushProgress(now), now)
		case <-ttl:
			return r.giveUpExpired("watch TTL reached")
		case ev := <-events:
			// Any news resets the poll clock; a lost stream resets it to the
			// fast period.
			if r.applyQueued(ctx, ev, events) {
				return r.outcome
			}
			reset()
		case <-poll.C():
			if r.poll(ctx) {
				return r.outcome
			}
			reset()
		case st := <-r.w.notes:
			// A notification is a whole status, signed by Transloadit.
			if r.observeStatus(st, schemas.SourceNotify) {
				return r.outcome
			}
		}
		if r.pubFailed {
			return OutcomeStopped
		}
		r.armProgress()
	}
}

// armProgress sets the timer of a held progress reading, if there is one
// and no timer yet.
func (r *watchRun) armProgress() {
	due, ok := r.w.norm.ProgressDue()
	if !ok || r.progressDue != nil {
		return
	}
	r.progressDue = r.env.clock.NewTimer(max(0, due.Sub(r.now())))
}

// timerC is t's channel, or nil (never ready) without a timer.
func timerC(t retry.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C()
}

// pollEvery is the poll period: short while the first status is still
// awaited, stretched while the stream carries the news. The stretched
// poll is a safety net: it costs one status request per
// streamPollFactor poll intervals of a streamed Assembly's life.
func (r *watchRun) pollEvery() time.Duration {
	d := r.env.pollInterval
	switch {
	case !r.known:
		d = min(d, streamConnectGrace)
	case r.streaming: // a stream that ended for good is not streaming
		d *= streamPollFactor
	}
	if r.failures > 0 {
		d = max(d, r.retryWait())
	}
	return d
}

// poll fetches the status now and reports whether the watch is over.
func (r *watchRun) poll(ctx context.Context) bool {
	r.flush() // what the stream said goes out before the wait for the status
	st, err := r.fetch(ctx)
	if err != nil {
		if o := r.fetchFailed(ctx, err); o != "" {
			r.outcome = o
			return true
		}
		return false
	}
	return r.observeStatus(st, schemas.SourcePoll)
}

func (r *watchRun) now() time.Time { return r.env.clock.Now() }
