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
// how the watch stands. Only the goroutine taking the worker's turns
// touches it; parking orders each turn's writes before the next turn.
type watchRun struct {
	w         *worker
	env       *workerEnv
	ctx       context.Context // the watch's
	pubCtx    context.Context
	end       func(Outcome) // called once, when the watch is over
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
	holding      bool        // publish adds to held; applyQueued sends the batch
	held         []heldEvent // encoded events not yet handed to the publisher
	ahead        *readAhead  // of the stream, if any
	// checkpointDue fires when a put-off checkpoint is due; nil when
	// none is pending.
	checkpointDue retry.Timer
	// progressDue fires when the normalizer's held progress reading may
	// go out; nil when none is held.
	progressDue retry.Timer
	ttl         retry.Timer // ends the watch
	pollT       retry.Timer // the next status fetch, once turns are taken
	events      <-chan streamEvent
	stopStream  func()      // ends the stream and waits for its reader; nil without one
	stopWake    func() bool // ends the wake on the context's end; nil before the turns
}

// startTurns arms the poll timer, lets the end of the watch's context
// wake it, and takes the first turns.
func (r *watchRun) startTurns() {
	r.pollT = r.newTimer(r.pollEvery())
	r.stopWake = context.AfterFunc(r.ctx, r.w.park.wake)
	r.armProgress()
	r.w.park.resume = r.takeTurns
	r.takeTurns()
}

// takeTurns handles news until there is none, then parks the watch, or
// finishes it when it is over.
func (r *watchRun) takeTurns() {
	for {
		if o, over := r.turn(); over {
			r.outcome = o
			r.finish()
			return
		}
		if r.w.park.park() {
			return
		}
	}
}

// turn handles the news that is ready, one case per source, without
// waiting; it reports the outcome once the watch is over.
func (r *watchRun) turn() (Outcome, bool) {
	ctx := r.ctx
	for {
		select {
		case <-ctx.Done():
			return OutcomeStopped, true
		case <-timerC(r.checkpointDue):
			r.writeCheckpoint()
		case <-timerC(r.progressDue):
			r.progressDue = nil
			now := r.now()
			r.publish(r.w.norm.FlushProgress(now), now)
		case <-r.ttl.C():
			return r.giveUpExpired("watch TTL reached"), true
		case ev := <-r.events:
			// Any news resets the poll clock; a lost stream resets it to the
			// fast period.
			if r.applyQueued(ctx, ev, r.events) {
				return r.outcome, true
			}
			r.resetPoll()
		case <-r.pollT.C():
			if r.poll(ctx) {
				return r.outcome, true
			}
			r.resetPoll()
		case st := <-r.w.notes:
			// A notification is a whole status, signed by Transloadit.
			if r.observeStatus(st, schemas.SourceNotify) {
				return r.outcome, true
			}
		default:
			return "", false
		}
		if r.pubFailed {
			return OutcomeStopped, true
		}
		r.armProgress()
	}
}

// resetPoll restarts the poll period; the Clock's timers are one-shot.
func (r *watchRun) resetPoll() {
	r.pollT.Stop()
	r.pollT = r.newTimer(r.pollEvery())
}

// finish stops what the run started, in the reverse order, and hands the
// outcome on.
func (r *watchRun) finish() {
	for _, t := range []retry.Timer{r.checkpointDue, r.progressDue, r.pollT} {
		if t != nil {
			t.Stop()
		}
	}
	r.setStreaming(false)
	if r.stopStream != nil {
		r.stopStream()
	}
	if r.stopWake != nil {
		r.stopWake()
	}
	r.ttl.Stop()
	r.w.cancel()
	r.end(r.outcome)
}

// armProgress sets the timer of a held progress reading, if there is one
// and no timer yet.
func (r *watchRun) armProgress() {
	due, ok := r.w.norm.ProgressDue()
	if !ok || r.progressDue != nil {
		return
	}
	r.progressDue = r.newTimer(max(0, due.Sub(r.now())))
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
