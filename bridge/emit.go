package bridge

import (
	"context"
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
	if r.env.onStatus != nil {
		r.env.onStatus(st)
	}
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

// heldEvent is an event encoded and waiting for its batch to be sent.
type heldEvent struct {
	ev       schemas.Event
	msg      publish.Message
	observed time.Time
	buf      *[]byte // recycles msg.Data once delivered
}

// maxBatch bounds the stream events applyQueued takes at once. Batches of
// 16 keep the publisher as busy as batches of 64 did in the black-box
// benchmark, with a third less memory at peak: each held event is an
// encoded copy, and the stream refills its read-ahead meanwhile.
const maxBatch = 16

// applyQueued applies ev and the stream events already queued behind it
// (at most maxBatch in all), and publishes what they imply in one
// batch, so that the publisher keeps those events in flight together
// instead of waiting for each ack in turn. It reports whether the watch
// is over.
func (r *watchRun) applyQueued(ctx context.Context, ev streamEvent, events <-chan streamEvent) bool {
	r.holding = true
	over := r.applyOne(ctx, ev)
	for n := 1; !over && n < maxBatch && len(events) > 0; n++ {
		over = r.applyOne(ctx, <-events)
	}
	r.holding = false
	r.flush()
	if r.pubFailed {
		r.outcome = OutcomeStopped
		return true
	}
	return over
}

func (r *watchRun) applyOne(ctx context.Context, ev streamEvent) bool {
	if r.ahead != nil {
		defer r.ahead.done(ev)
	}
	return ev.apply(ctx, r)
}

// publish delivers events in order: at once, or with the batch when
// applyQueued holds them. An event that can never fit is logged and
// skipped; any other failure means pubCtx ended, and the worker stops.
func (r *watchRun) publish(evs []schemas.Event, observed time.Time) {
	for _, ev := range evs {
		if r.w.req.Replay {
			ev.ID = replayID(ev.ID, r.w.id, r.w.watchID)
		}
		buf, b := encodeBuf()
		data, err := schemas.AppendEncode(b, ev)
		if err != nil {
			putEncodeBuf(buf, data)
			r.w.log.Error("event encoding failed", zap.String("event_id", ev.ID), zap.Error(err))
			continue
		}
		m := publish.Message{Subject: ev.Subject, ID: ev.ID, Data: data, Key: r.w.id}
		if r.held == nil {
			r.held = heldBatches.Get().(*heldBatch)
		}
		r.held.events = append(r.held.events, heldEvent{ev: ev, msg: m, observed: observed, buf: buf})
	}
	if !r.holding {
		r.flush()
	}
}

// flush sends the held events in one call. With durable watches, what
// was acknowledged is then checkpointed: nothing is held any more, so the
// normalizer's state is exactly what went out.
func (r *watchRun) flush() {
	b := r.held
	r.held = nil
	if b == nil {
		return
	}
	defer b.release()
	held := b.events
	if r.pubFailed || len(held) == 0 {
		return
	}
	for _, h := range held {
		b.msgs = append(b.msgs, h.msg)
	}
	msgs := b.msgs
	err := r.send(msgs...)
	if err != nil {
		b.msgs = nil // a publisher that failed may not be done with them
	}
	if errors.Is(err, publish.ErrPayloadTooLarge) && len(msgs) > 1 {
		// Find the ones that cannot fit: the others go one by one, and
		// those already stored come back as duplicates.
		for _, h := range held {
			if r.sendOne(h.msg) {
				r.delivered(h)
			}
		}
	} else if r.outcomeOf(err, msgs[0]) {
		for _, h := range held {
			r.delivered(h)
		}
	}
	r.env.metrics.lagged(r.now().Sub(held[0].observed))
	if l := r.w.lease; l != nil && !r.pubFailed {
		if wait := l.saveSoon(r.pubCtx, r.w, r.now()); wait > 0 && r.checkpointDue == nil {
			r.checkpointDue = r.env.clock.NewTimer(wait)
		}
	}
}

// writeCheckpoint writes the checkpoint flush put off.
func (r *watchRun) writeCheckpoint() {
	r.checkpointDue = nil
	if l := r.w.lease; l != nil && !r.pubFailed {
		l.saveIfDirty(r.pubCtx, r.w)
	}
}

func (r *watchRun) send(msgs ...publish.Message) error {
	r.env.metrics.pending(float64(len(msgs)))
	defer r.env.metrics.pending(-float64(len(msgs)))
	return r.env.publisher.Publish(r.pubCtx, msgs...)
}

func (r *watchRun) sendOne(m publish.Message) bool {
	if r.pubFailed {
		return false
	}
	return r.outcomeOf(r.send(m), m)
}

// outcomeOf reports whether a publish succeeded; a message too large is
// skipped, any other failure stops the worker.
func (r *watchRun) outcomeOf(err error, m publish.Message) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, publish.ErrPayloadTooLarge):
		r.w.log.Error("event exceeds the NATS max payload; skipped", zap.String("event_id", m.ID), zap.Int("bytes", len(m.Data)))
	default:
		r.w.log.Warn("publish abandoned", zap.String("event_id", m.ID), zap.Error(err))
		r.pubFailed = true
	}
	return false
}

// delivered accounts for an acknowledged event and recycles its buffer:
// the publisher is done with it. An event that was not delivered keeps its
// buffer, which the publisher may still hold.
func (r *watchRun) delivered(h heldEvent) {
	r.env.metrics.published(string(h.ev.Type), r.now().Sub(h.observed))
	r.w.countEvent()
	if cb := r.env.onEvent; cb != nil {
		cb(h.ev, h.msg.Data)
	}
	putEncodeBuf(h.buf, h.msg.Data)
}

// replayID gives an event of a replay its own ID, "<id>/replay/<watch>/…":
// the stable ID would be dropped as a duplicate, or stand for the first
// delivery in the consumer's records.
func replayID(evID, assemblyID, watch string) string {
	return assemblyID + "/replay/" + watch + strings.TrimPrefix(evID, assemblyID)
}
