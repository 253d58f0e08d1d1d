package bridge

import (
	"context"
	"errors"
	"sort"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
)

// watchDurable answers a watch request with durable watches: a finished
// Assembly is answered from memory (unless the request asks for a
// replay), any other is queued once; whichever replica takes it runs it.
func (m *Manager) watchDurable(ctx context.Context, req WatchRequest) (WatchReply, bool, error) {
	d := m.dur.Load()
	if d == nil {
		err := &WatchError{CodeNotReady, "the watch queue is not set up yet"}
		return ErrorReply(err), false, err
	}
	ok := m.accepted(req.AssemblyID)
	if !req.Replay {
		fin, found, err := d.finished(ctx, req.AssemblyID)
		if err != nil {
			err = unavailable(err)
			return ErrorReply(err), false, err
		}
		if found {
			ok.State = string(fin.Outcome)
			return ok, false, nil
		}
	}
	if m.isClosed() {
		err := &WatchError{CodeShuttingDown, "the bridge is shutting down"}
		return ErrorReply(err), false, err
	}
	queued, err := d.enqueue(ctx, req)
	if err != nil {
		err = unavailable(err)
		return ErrorReply(err), false, err
	}
	// The queue keeps one message per Assembly: one already there is a
	// watch pending or running.
	return ok, !queued, nil
}

// notifyDurable applies a notification with durable watches: the worker
// here gets it; a finished Assembly publishes nothing again; any other
// Assembly is queued like a watch request (its replica fetches the
// status itself).
func (m *Manager) notifyDurable(ctx context.Context, req WatchRequest, st *transloadit.Status) (WatchReply, error) {
	m.mu.Lock()
	w := m.watches[req.AssemblyID]
	m.mu.Unlock()
	if w != nil {
		w.deliver(st)
		return m.accepted(req.AssemblyID), nil
	}
	reply, _, err := m.watchDurable(ctx, req)
	return reply, err
}

// shared reports whether watches are durable and shared by replicas.
func (m *Manager) shared() bool { return m.cfg.Durable != nil || m.cfg.DurableLater }

// StartDurable starts durable watches on cfg's resources: from now on
// this Manager takes watches from the queue. It is called once, either
// by NewManager (ManagerConfig.Durable) or later (DurableLater).
func (m *Manager) StartDurable(cfg DurableConfig) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closed:
		return &WatchError{CodeShuttingDown, "the bridge is shutting down"}
	case m.dur.Load() != nil:
		return errors.New("bridge: durable watches already started")
	}
	d, err := newDurable(m, &cfg)
	if err != nil {
		return err
	}
	m.dur.Store(d)
	return nil
}

func (m *Manager) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// freeSlots is how many more watches this Manager may run.
func (m *Manager) freeSlots() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg.MaxWatches - len(m.watches)
}

// startQueued runs a watch taken from the queue. It reports false when
// the Manager is shutting down; the caller hands the watch back. A watch
// already running here (a redelivery) is left to its worker.
func (m *Manager) startQueued(q queuedWatch, msg jetstream.Msg) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	if m.watches[q.AssemblyID] != nil {
		m.log.Debug("queued watch redelivered while it runs here", zap.String("assembly_id", q.AssemblyID))
		return true
	}
	w := m.newWorker(q.WatchRequest)
	w.watchID, w.lease = q.Watch, &lease{d: m.dur.Load(), msg: msg, q: q}
	m.startLocked(w)
	return true
}

// runWatch runs w to its outcome: with durable watches it first loads the
// checkpoint, and afterwards settles the queued watch; a canceled watch
// ends with watch.canceled.
func (m *Manager) runWatch(w *worker) Outcome {
	l := w.lease
	if l != nil {
		if outcome, done := l.begin(m.pubCtx, w); done {
			l.end(m.pubCtx, w, outcome, m.isClosed())
			return outcome
		}
	}
	outcome := w.run(m.pubCtx)
	if by, canceled := w.cancelRequest(); canceled && outcome == OutcomeStopped {
		outcome = m.publishCanceled(w, by)
	}
	if l != nil {
		l.end(m.pubCtx, w, outcome, m.isClosed())
	}
	return outcome
}

// publishCanceled publishes the watch.canceled event of a canceled w.
func (m *Manager) publishCanceled(w *worker, by string) Outcome {
	r := &watchRun{w: w, env: w.env, pubCtx: m.pubCtx}
	now := r.now()
	st := w.info("").State
	ev := canceledEvent(m.cfg.Prefix, m.source(), w.id, w.watchID, st, by, now)
	r.publish([]schemas.Event{ev}, now)
	// This run has no loop to make a put-off checkpoint; the record is
	// removed when the watch ends anyway.
	if r.checkpointDue != nil {
		r.checkpointDue.Stop()
	}
	if r.pubFailed {
		return OutcomeStopped
	}
	return OutcomeWatchCanceled
}

// Lookup describes the watch of id wherever it runs: here, on another
// replica (from its record), or pending in the queue. found is false
// when the Assembly is not watched.
func (m *Manager) Lookup(ctx context.Context, id string) (info WatchInfo, found bool, err error) {
	d := m.dur.Load()
	if info, ok := m.Get(id); ok || d == nil {
		info.Owner = m.ownerOf(ok)
		return info, ok, nil
	}
	rec, err := d.record(ctx, id)
	if err != nil || rec != nil {
		return m.recordInfo(rec), rec != nil, unavailable(err)
	}
	q, _, err := d.pending(ctx, id)
	if err != nil || q == nil {
		return WatchInfo{}, false, unavailable(err)
	}
	return WatchInfo{AssemblyID: id, Subject: m.SubjectFor(id), State: "pending"}, true, nil
}

func (m *Manager) ownerOf(here bool) string {
	if here {
		return m.cfg.Instance
	}
	return ""
}

func (m *Manager) recordInfo(r *watchRecord) WatchInfo {
	if r == nil {
		return WatchInfo{}
	}
	return WatchInfo{AssemblyID: r.AssemblyID, Subject: m.SubjectFor(r.AssemblyID), State: r.Checkpoint.State,
		Events: r.Events, StartedAt: r.StartedAt, Owner: r.Owner}
}

// Watches describes every running watch of the cluster (of this Manager
// without durable watches), ordered by Assembly ID.
func (m *Manager) Watches(ctx context.Context) ([]WatchInfo, error) {
	local := m.List()
	for i := range local {
		local[i].Owner = m.cfg.Instance
	}
	d := m.dur.Load()
	if d == nil {
		return local, nil
	}
	recs, err := d.records(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	seen := make(map[string]bool, len(local))
	for _, w := range local {
		seen[w.AssemblyID] = true
	}
	for i := range recs {
		if !seen[recs[i].AssemblyID] {
			local = append(local, m.recordInfo(&recs[i]))
		}
	}
	sort.Slice(local, func(i, j int) bool { return local[i].AssemblyID < local[j].AssemblyID })
	return local, nil
}
