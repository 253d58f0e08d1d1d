package bridge

import (
	"errors"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/bridge/normalize"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/stream"
)

// observeStatus feeds a full status to the normalizer and publishes what
// it implies; it reports whether the watch is over.
func (r *watchRun) observeStatus(st *transloadit.Status, source string) bool {
	now := r.now()
	r.known = true
	r.w.setState(string(st.OK))
	r.publish(r.w.norm.Observe(normalize.StatusObservation{Source: source, At: now, Status: st}), now)
	return r.finished(st.Outcome())
}

func (r *watchRun) observeUpdate(u *stream.Update) bool {
	at := u.ReceivedAt
	if at.IsZero() {
		at = r.now()
	}
	r.publish(r.w.norm.Observe(normalize.UpdateObservation{At: at, Update: u}), at)
	// Only an assembly_error carrying the Assembly's whole failed status
	// ends the events from the stream alone.
	outcome := transloadit.OutcomeFailed
	if u.Error != nil {
		outcome = u.Error.Outcome()
		r.w.setState(string(u.Error.OK))
	}
	return r.finished(outcome)
}

func (r *watchRun) giveUpExpired(detail string) Outcome {
	r.giveUp(normalize.GiveUpExpired, detail)
	return OutcomeExpired
}

func (r *watchRun) giveUpFailed(detail string) Outcome {
	r.giveUp(normalize.GiveUpFailed, detail)
	return OutcomeWatchFailed
}

func (r *watchRun) giveUp(reason normalize.GiveUpReason, detail string) {
	now := r.now()
	r.publish(r.w.norm.GiveUp(reason, now, detail), now)
}

// outcomes maps the Assembly's terminal outcome to the watch's.
var outcomes = map[transloadit.Outcome]Outcome{
	transloadit.OutcomeCompleted: OutcomeCompleted,
	transloadit.OutcomeCanceled:  OutcomeCanceled,
	transloadit.OutcomeAborted:   OutcomeAborted,
}

// finished reports whether the watch is over, and sets its outcome: the
// terminal event was published, or publishing gave up (then the watch
// merely stopped; its last events were not delivered).
func (r *watchRun) finished(o transloadit.Outcome) bool {
	if r.pubFailed {
		r.outcome = OutcomeStopped
		return true
	}
	if !r.w.norm.Done() {
		return false
	}
	r.outcome = OutcomeFailed
	if out, ok := outcomes[o]; ok {
		r.outcome = out
	}
	return true
}

// publish delivers events in order, one acknowledged before the next.
// An event that can never fit is logged and skipped; any other failure
// means pubCtx ended, and the worker stops.
func (r *watchRun) publish(evs []schemas.Event, observed time.Time) {
	for _, ev := range evs {
		if r.pubFailed {
			return
		}
		r.publishOne(ev, observed)
	}
	// With durable watches, what was just acknowledged is checkpointed.
	if l := r.w.lease; l != nil && len(evs) > 0 && !r.pubFailed {
		l.save(r.pubCtx, r.w)
	}
}

func (r *watchRun) publishOne(ev schemas.Event, observed time.Time) {
	log, metrics := r.w.log, r.env.metrics
	if r.w.replay {
		ev.ID = replayID(ev.ID, r.w.id, r.w.watchID)
	}
	data, err := schemas.Encode(ev)
	if err != nil {
		log.Error("event encoding failed", zap.String("event_id", ev.ID), zap.Error(err))
		return
	}
	metrics.pending(1)
	err = r.env.publisher.Publish(r.pubCtx, publish.Message{Subject: ev.Subject, ID: ev.ID, Data: data, Key: r.w.id})
	metrics.pending(-1)
	switch {
	case err == nil:
	case errors.Is(err, publish.ErrPayloadTooLarge):
		log.Error("event exceeds the NATS max payload; skipped", zap.String("event_id", ev.ID), zap.Int("bytes", len(data)))
		return
	default:
		log.Warn("publish abandoned", zap.String("event_id", ev.ID), zap.Error(err))
		r.pubFailed = true
		return
	}
	metrics.published(string(ev.Type), r.now().Sub(observed))
	r.w.countEvent()
	if cb := r.env.onEvent; cb != nil {
		cb(ev, data)
	}
}

// replayID gives an event of a replay its own ID, "<id>/replay/<watch>/…":
// the stable ID would be dropped as a duplicate, or stand for the first
// delivery in the consumer's records.
func replayID(evID, assemblyID, watch string) string {
	return assemblyID + "/replay/" + watch + strings.TrimPrefix(evID, assemblyID)
}
