package bridge

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// lease is a worker's hold on its queued watch: the message it keeps alive
// with InProgress while it runs and acknowledges when the watch is over,
// and the record of what it published. Only the worker's goroutine uses
// it, besides the durable's heartbeats between begin and end.
type lease struct {
	d   *durable
	msg jetstream.Msg
	q   queuedWatch
	rec watchRecord
	// skip: the Assembly finished before; the message is merely acked.
	skip bool
	// lost: another replica runs the watch now (this one missed its
	// heartbeats, e.g. through a NATS outage longer than AckWait); this
	// worker stops and leaves the message and the record alone.
	lost atomic.Bool

	beat *beat // its place among the durable's heartbeats

	// lastSave and dirty pace the checkpoint writes; only the worker's
	// goroutine touches them.
	lastSave time.Time
	dirty    bool // events went out since the last write
	// rev is the record's revision as this lease last read or wrote it
	// (0: none). A write expects it, so a record another replica wrote
	// since is never written over.
	rev uint64
}

// maxCheckpointEvery paces checkpoint writes: at most one every five
// seconds per watch, and more often when AckWait is short (see
// durable.checkpointEvery). Each write is a KV round trip carrying every
// key seen so far; written once a second, they were 9 % of the bridge's
// CPU with 5,000 watches at one result a second each. What the pacing
// leaves out on a crash is at most that much of events, published again
// with their stable IDs by the next owner, which takes over after
// AckWait: well inside the duplicate window, which drops them. A watch
// handed back on shutdown writes its checkpoint first.
const maxCheckpointEvery = 5 * time.Second

// begin prepares w to run: it reports done when the watch must not run
// (the Assembly finished already, or its state cannot be read now), with
// the outcome to report. Otherwise w continues from the checkpoint.
func (l *lease) begin(ctx context.Context, w *worker) (Outcome, bool) {
	l.beat = l.d.beats.add(l, w)
	id := l.q.AssemblyID
	fin, found, err := l.d.finished(ctx, id)
	if err == nil && found && (!l.q.Replay || fin.Watch == l.q.Watch) {
		l.skip = true
		return fin.Outcome, true
	}
	var rec *watchRecord
	if err == nil {
		rec, l.rev, err = l.d.recordAt(ctx, id)
	}
	if err != nil {
		w.log.Warn("watch state unreadable; handing the watch back", zap.Error(err))
		return OutcomeStopped, true
	}
	l.rec = watchRecord{AssemblyID: id, Watch: l.q.Watch, Replay: l.q.Replay, Owner: l.d.m.cfg.Instance, StartedAt: w.started}
	if rec != nil && rec.resumes(l.q) {
		w.norm.Restore(rec.Checkpoint)
		w.restore(rec.Checkpoint.State, rec.Events)
		l.rec.StartedAt = rec.StartedAt
		l.d.m.cfg.Metrics.watchResumed()
		w.log.Info("watch resumed from its checkpoint", zap.String("previous_owner", rec.Owner), zap.Int("events", rec.Events))
	}
	if l.save(ctx, w); l.lost.Load() {
		return OutcomeStopped, true
	}
	return "", false
}

// saveSoon records what w published, now or, when the last write is
// under d.checkpointEvery() old, later: it returns how long until the write
// is due (0 when it was written).
func (l *lease) saveSoon(ctx context.Context, w *worker, now time.Time) time.Duration {
	if wait := l.d.checkpointEvery() - now.Sub(l.lastSave); wait > 0 {
		l.dirty = true
		return wait
	}
	l.save(ctx, w)
	return 0
}

// saveIfDirty writes the checkpoint that saveSoon put off, if any.
func (l *lease) saveIfDirty(ctx context.Context, w *worker) {
	if l.dirty {
		l.save(ctx, w)
	}
}

// save records what w published so far. It runs after the events are
// acknowledged; a failed write is logged: the next one covers it, and a
// takeover before then repeats events with their stable IDs.
func (l *lease) save(ctx context.Context, w *worker) {
	l.lastSave, l.dirty = w.env.clock.Now(), false
	if l.lost.Load() {
		return // the record is the new owner's
	}
	l.rec.Checkpoint = w.norm.Checkpoint()
	l.rec.Events = w.info("").Events
	l.rec.UpdatedAt = time.Now().UTC()
	err := putJSON(ctx, l.d.store.Checkpoints, l.q.AssemblyID, &l.rec, &l.rev)
	l.d.m.cfg.Metrics.checkpointWritten(err)
	switch {
	case errors.Is(err, errChanged):
		// Only a replica that took the watch over writes the record
		// besides this lease; the heartbeats' owner check may not have
		// seen it yet. (A write of this lease that timed out after it
		// landed looks the same; stopping then costs a redelivery.)
		l.yield(w)
	case err != nil:
		w.log.Warn("checkpoint not written", zap.Error(err))
	}
}

// yield stops w because another replica runs its watch now: the record
// and the message are that replica's, and this lease leaves both alone.
func (l *lease) yield(w *worker) {
	l.lost.Store(true)
	w.log.Warn("watch taken over by another replica; stopping here")
	w.stop()
}

// end settles the queued watch after w ran to outcome: a stopped watch
// goes back to the queue for another replica; any other is over, and is
// remembered as finished when the Assembly itself ended.
func (l *lease) end(ctx context.Context, w *worker, outcome Outcome, shuttingDown bool) {
	l.d.beats.remove(l.beat)
	id := l.q.AssemblyID
	switch {
	case l.lost.Load():
		return
	case l.skip:
	case outcome == OutcomeStopped:
		// The next owner starts from what went out here.
		if l.saveIfDirty(ctx, w); l.lost.Load() {
			return
		}
		delay := time.Second // a failure here may well fail again at once
		if shuttingDown {
			delay = 0
		}
		if err := l.msg.NakWithDelay(delay); err != nil {
			w.log.Warn("watch not handed back; it is redelivered after AckWait", zap.Error(err))
		}
		return
	case !outcome.EndedUpstream():
		// Canceled, expired or given up: the Assembly may still be
		// watched again later, from scratch.
		if !l.forget(ctx, w) {
			return
		}
	default:
		fin := finishedRecord{AssemblyID: id, Outcome: outcome, Watch: l.q.Watch, FinishedAt: time.Now().UTC()}
		if err := putJSON(ctx, l.d.store.Finished, id, &fin, nil); err != nil {
			// Unacked, the watch comes back, finds its checkpoint done
			// and publishes nothing.
			w.log.Warn("finished Assembly not recorded; the watch will be retried", zap.Error(err))
			_ = l.msg.NakWithDelay(time.Second)
			return
		}
		if !l.forget(ctx, w) {
			return
		}
	}
	actx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	if err := l.msg.DoubleAck(actx); err != nil {
		w.log.Warn("watch ack failed", zap.Error(err))
	}
}

// forget removes the watch's record, unless another replica wrote it
// since: then the watch is that replica's, and forget reports false.
func (l *lease) forget(ctx context.Context, w *worker) bool {
	err := deleteKey(ctx, l.d.store.Checkpoints, l.q.AssemblyID, l.rev)
	switch {
	case errors.Is(err, errChanged):
		l.yield(w)
		return false
	case err != nil:
		w.log.Warn("watch record not removed", zap.Error(err))
	}
	return true
}

// checkpointEvery is the pace of checkpoint writes: a sixth of AckWait,
// at most maxCheckpointEvery. A takeover comes AckWait after the last
// beat, so the events a crash leaves out of the checkpoint are repeated
// about AckWait plus this pace after they went out; tying the pace to
// AckWait keeps that close to AckWait, which the duplicate window must
// exceed anyway.
func (d *durable) checkpointEvery() time.Duration {
	return min(d.store.AckWait/6, maxCheckpointEvery)
}
