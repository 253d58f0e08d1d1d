package bridge_test

import (
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/normalize/normalizetest"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

// quietPoll is a poll interval whose safety-net poll while streaming (ten
// intervals) never comes within a test Assembly's life, so the requests
// counted are the worker's own.
const quietPoll = 5 * time.Second

// TestStatusRequestsWhileStreaming: while the stream stays up, a watch
// costs two status requests: the fetch once the stream is connected,
// which is the first one, and the final one for the terminal event. The
// metadata notice costs none when the uploads came with their meta.
func TestStatusRequestsWhileStreaming(t *testing.T) {
	h := newHarness(t, modeSSE, func(c *bridge.ManagerConfig) { c.PollInterval = quietPoll })
	for _, tt := range lifecycleScripts {
		t.Run(tt.name, func(t *testing.T) {
			st := h.create(t, tt.script)
			if got := h.watch(t, st); got != tt.outcome {
				t.Errorf("outcome = %q; want %q", got, tt.outcome)
			}
			normalizetest.CheckLifecycle(t, testPrefix, h.final(t, st.AssemblyID), h.events(t, st.AssemblyID))
			if n := len(h.srv.StatusRequests(st.AssemblyID)); n > 2 {
				t.Errorf("status requests = %d; want at most 2", n)
			}
		})
	}
	if c := h.srv.Counters(); c.StreamsDropped != 0 {
		t.Fatalf("streams dropped = %d; the counts hold only while the stream stays up", c.StreamsDropped)
	}
}

// TestStatusRequestsByIDAlone: without an update_stream_url the status is
// fetched first, for the stream URL in it; then the stream connects and
// is fetched once more, since anything may have happened in between.
func TestStatusRequestsByIDAlone(t *testing.T) {
	h := newHarness(t, modeSSE, func(c *bridge.ManagerConfig) { c.PollInterval = quietPoll })
	st := h.create(t, transloadittest.Script{StartOnStream: true})
	if got := h.watchReq(t, bridge.WatchRequest{AssemblyID: st.AssemblyID}); got != bridge.OutcomeCompleted {
		t.Fatalf("outcome = %q; want completed", got)
	}
	normalizetest.CheckLifecycle(t, testPrefix, h.final(t, st.AssemblyID), h.events(t, st.AssemblyID))
	if got := h.srv.StreamConnections(st.AssemblyID); got != 1 {
		t.Errorf("stream connections = %d; want 1", got)
	}
	if n := len(h.srv.StatusRequests(st.AssemblyID)); n > 3 {
		t.Errorf("status requests = %d; want at most 3", n)
	}
}
