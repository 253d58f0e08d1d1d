package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/schemas"
)

// cancelSubject is where a replica asks the others to stop a watch:
// "<prefix>.v1.cancel.<id>". Every replica listens; the one running the
// watch answers.
func cancelSubject(prefix, id string) string { return prefix + ".v1.cancel." + id }

type cancelRequest struct {
	RequestedBy string `json:"requested_by"`
}

// How long a cancel request waits for the replica running the watch:
// longer when a record names an owner, briefly when the watch may merely
// be pending.
const (
	cancelOwnerWait   = 3 * time.Second
	cancelPendingWait = 250 * time.Millisecond
)

// Cancel stops the watch of id wherever it runs and publishes
// watch.canceled once, saying requestedBy asked; the watch is then gone.
// It returns a NOT_FOUND *WatchError when the Assembly is not watched.
func (m *Manager) Cancel(ctx context.Context, id, requestedBy string) (WatchReply, error) {
	reply := WatchReply{OK: true, AssemblyID: id}
	requestedBy = strings.TrimSpace(requestedBy + " via " + m.source())
	if m.cancelLocal(id, requestedBy) {
		return reply, nil
	}
	notWatched := &WatchError{CodeNotFound, "assembly " + id + " is not watched"}
	d := m.dur.Load()
	if d == nil {
		return ErrorReply(notWatched), notWatched
	}
	found, err := d.cancelRemote(ctx, id, requestedBy)
	err = unavailable(err)
	switch {
	case err != nil:
		return ErrorReply(err), err
	case !found:
		return ErrorReply(notWatched), notWatched
	}
	return reply, nil
}

// cancelLocal stops the watch if it runs here; the worker publishes
// watch.canceled on its way out.
func (m *Manager) cancelLocal(id, by string) bool {
	w := m.detach(id, OutcomeWatchCanceled)
	if w == nil {
		return false
	}
	w.cancelFor(by)
	return true
}

// serveCancel answers a cancel request for a watch running here.
func (d *durable) serveCancel(msg *nats.Msg) {
	id := msg.Subject[strings.LastIndexByte(msg.Subject, '.')+1:]
	var req cancelRequest
	if json.Unmarshal(msg.Data, &req) != nil || !d.m.cancelLocal(id, req.RequestedBy) {
		return
	}
	if err := msg.Respond([]byte(`{"ok":true}`)); err != nil {
		d.log.Warn("cancel reply failed", zap.Error(err))
	}
}

// cancelRemote asks the replica running the watch to stop it; when none
// answers, the watch was only pending (or its replica is gone), and is
// dropped from the queue here.
func (d *durable) cancelRemote(ctx context.Context, id, by string) (bool, error) {
	rec, rev, err := d.recordAt(ctx, id)
	if err != nil {
		return false, err
	}
	q, seq, err := d.pending(ctx, id)
	if err != nil {
		return false, err
	}
	if rec == nil && q == nil {
		return false, nil
	}
	wait := cancelPendingWait
	if rec != nil {
		wait = cancelOwnerWait
	}
	if answered, err := d.askCancel(id, by, wait); answered || err != nil {
		return answered, err
	}
	return true, d.cancelUnowned(ctx, id, by, rec, rev, q, seq)
}

// askCancel asks the replica running the watch of id to cancel it, and
// reports whether one answered within wait.
func (d *durable) askCancel(id, by string, wait time.Duration) (bool, error) {
	b, _ := json.Marshal(cancelRequest{RequestedBy: by})
	_, err := d.nc.Request(cancelSubject(d.prefix, id), b, wait)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders):
		return false, nil
	}
	return false, err
}

// cancelUnowned cancels a watch no replica runs: it drops the queued
// request, publishes watch.canceled and removes the record read at
// revision rev. A replica that wrote the record since has taken the watch
// up; the record stays, and the caller is told to ask again.
func (d *durable) cancelUnowned(ctx context.Context, id, by string, rec *watchRecord, rev uint64, q *queuedWatch, seq uint64) error {
	if q != nil {
		if d.beforeDrop != nil {
			d.beforeDrop()
		}
		if err := d.dropPending(ctx, seq); err != nil {
			return err
		}
		// A replica may have taken the request from the queue since the
		// first ask. It answers from the moment it holds the request, so
		// asked again it stops the watch and publishes watch.canceled
		// itself, after the last of its events.
		if answered, err := d.askCancel(id, by, cancelPendingWait); answered || err != nil {
			return err
		}
	}
	watch, state := "", ""
	if q != nil {
		watch = q.Watch
	}
	if rec != nil {
		watch, state = rec.Watch, rec.Checkpoint.State
	}
	ev := canceledEvent(d.m.cfg.Prefix, d.m.source(), id, watch, state, by, time.Now())
	data, err := schemas.Encode(ev)
	if err != nil {
		return err
	}
	if err := d.m.cfg.Publisher.Publish(ctx, publish.Message{Subject: ev.Subject, ID: ev.ID, Data: data, Key: id}); err != nil {
		return err
	}
	if rec == nil {
		return nil
	}
	err = deleteKey(ctx, d.store.Checkpoints, id, rev)
	if errors.Is(err, errChanged) {
		return &WatchError{CodeUnavailable, "assembly " + id + " was taken up by a replica while it was canceled; cancel it again"}
	}
	return err
}

// canceledEvent is the watch.canceled event of one watch; its ID names the
// watch, so that canceling a later watch of the Assembly is not taken for
// a duplicate.
func canceledEvent(prefix, source, id, watch, state, by string, at time.Time) schemas.Event {
	at = at.UTC()
	key := id + "/watch/canceled"
	if watch != "" {
		key += "/" + watch
	}
	data := &schemas.WatchCanceled{RequestedBy: by}
	data.AssemblyID, data.State, data.Source, data.ObservedAt = id, state, schemas.SourceBridge, at
	return schemas.NewEvent(schemas.TypeWatchCanceled, key, source,
		schemas.Subject(prefix, id, schemas.TypeWatchCanceled, ""), at, data)
}
