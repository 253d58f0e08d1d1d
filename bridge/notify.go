package bridge

import (
	"context"
	"fmt"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Notify applies an Assembly Status that Transloadit sent as a
// notification (its notify_url). The caller must have verified the
// signature. A watched Assembly's worker gets the status at once; an
// unwatched one gets a worker that starts from it, so a terminal
// notification is turned into its events without a fetch. A notification
// may be a replay of a non-terminal status: the watch then goes on as
// usual. Refusals are *WatchErrors, as for Watch; a ctx that ended first
// returns its error and changes nothing.
func (m *Manager) Notify(ctx context.Context, st *transloadit.Status) (WatchReply, error) {
	req := WatchRequest{AssemblyID: st.AssemblyID, AssemblySSLURL: st.AssemblySSLURL, UpdateStreamURL: st.UpdateStreamURL}
	if err := validateRequest(req, m.cfg.AllowList); err != nil {
		return ErrorReply(err), err
	}
	if err := ctx.Err(); err != nil {
		return ErrorReply(err), err
	}
	if m.shared() {
		return m.notifyDurable(ctx, req, st)
	}
	ok := m.accepted(req.AssemblyID)
	m.mu.Lock()
	defer m.mu.Unlock()
	if w := m.watches[req.AssemblyID]; w != nil && !m.closed {
		w.deliver(st)
		return ok, nil
	}
	// Transloadit notifies when the Assembly ends, which is usually just
	// after the watch itself saw the end: starting over would publish the
	// whole history again.
	if m.finished[req.AssemblyID].EndedUpstream() {
		return ok, nil
	}
	if err := m.refuseLocked(); err != nil {
		return ErrorReply(err), err
	}
	w := m.newWorker(req)
	w.seed = st
	m.startLocked(w)
	return ok, nil
}

// refuseLocked says why no new worker may start, or nil. m.mu must be held.
func (m *Manager) refuseLocked() error {
	switch {
	case m.closed:
		return &WatchError{CodeShuttingDown, "the bridge is shutting down"}
	case len(m.watches) >= m.cfg.MaxWatches:
		return &WatchError{CodeTooManyWatches, fmt.Sprintf("at most %d watches", m.cfg.MaxWatches)}
	}
	return nil
}
