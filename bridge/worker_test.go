package bridge_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/normalize/normalizetest"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/schemas"
)

// lifecycleScripts are the Assembly lifecycles every worker scenario must
// turn into exactly the events the final status implies.
var lifecycleScripts = []struct {
	name    string
	script  transloadittest.Script
	outcome bridge.Outcome
}{
	{"complete", transloadittest.Script{}, bridge.OutcomeCompleted},
	{"several steps and uploads", transloadittest.Script{
		Uploads: []transloadittest.Upload{{Name: "a.jpg", Size: 4000}, {Name: "b.png", Size: 9000}},
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "thumbs", Robot: "/image/resize", Results: 2},
			{Name: "exported", Robot: "/s3/store", Use: "thumbs"},
		},
	}, bridge.OutcomeCompleted},
	{"step failure", transloadittest.Script{
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "encoded", Robot: "/video/encode"},
		},
		FailStep: "encoded", FailCode: "INTERNAL_COMMAND_ERROR",
	}, bridge.OutcomeFailed},
	{"canceled", transloadittest.Script{
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "thumbs", Robot: "/image/resize", Results: 5},
		},
		CancelAfterResults: 2,
	}, bridge.OutcomeCanceled},
	{"import only", transloadittest.Script{
		Uploads: []transloadittest.Upload{},
		Steps: []transloadittest.Step{
			{Name: "imported", Robot: "/http/import", Results: 3},
			{Name: "filtered", Robot: "/file/filter", Use: "imported"},
		},
	}, bridge.OutcomeCompleted},
	{"many results", transloadittest.Script{
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "frames", Robot: "/video/encode", Results: 60},
		},
	}, bridge.OutcomeCompleted},
}

func TestWorkerLifecycles(t *testing.T) {
	forModes(t, func(t *testing.T, mode string) {
		h := newHarness(t, mode, nil)
		for _, tt := range lifecycleScripts {
			t.Run(tt.name, func(t *testing.T) {
				st := h.create(t, tt.script)
				if got := h.watch(t, st); got != tt.outcome {
					t.Errorf("outcome = %q; want %q", got, tt.outcome)
				}
				normalizetest.CheckLifecycle(t, testPrefix, h.final(t, st.AssemblyID), h.events(t, st.AssemblyID))
			})
		}
	})
}

func TestWorkerSurvivesStreamDrops(t *testing.T) {
	h := newHarness(t, modeSSE, nil)
	st := h.create(t, transloadittest.Script{
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "thumbs", Robot: "/image/resize", Results: 8},
		},
		Faults: transloadittest.Faults{DropStreamAfter: 2},
	})
	if got := h.watch(t, st); got != bridge.OutcomeCompleted {
		t.Fatalf("outcome = %q; want completed", got)
	}
	normalizetest.CheckLifecycle(t, testPrefix, h.final(t, st.AssemblyID), h.events(t, st.AssemblyID))
	// Whether the stream came back before the Assembly ended depends on the
	// reconnect backoff; that the drop happened and nothing was lost does not.
	if n := h.srv.Counters().StreamsDropped; n < 1 {
		t.Errorf("streams dropped = %d; want the fault to have fired", n)
	}
}

func TestWorkerFallsBackWhenStreamRefused(t *testing.T) {
	h := newHarness(t, modeSSE, nil)
	st := h.create(t, transloadittest.Script{Faults: transloadittest.Faults{RefuseSSE: true}})
	if got := h.watch(t, st); got != bridge.OutcomeCompleted {
		t.Fatalf("outcome = %q; want completed", got)
	}
	normalizetest.CheckLifecycle(t, testPrefix, h.final(t, st.AssemblyID), h.events(t, st.AssemblyID))
}

func TestWatchByIDAlone(t *testing.T) {
	forModes(t, func(t *testing.T, mode string) {
		h := newHarness(t, mode, nil)
		st := h.create(t, transloadittest.Script{})
		if got := h.watchReq(t, bridge.WatchRequest{AssemblyID: st.AssemblyID}); got != bridge.OutcomeCompleted {
			t.Fatalf("outcome = %q; want completed", got)
		}
		normalizetest.CheckLifecycle(t, testPrefix, h.final(t, st.AssemblyID), h.events(t, st.AssemblyID))
	})
}

func TestUnknownAssemblyFailsTheWatch(t *testing.T) {
	h := newHarness(t, modeSSE, nil)
	const id = "0123456789abcdef0123456789abcdef"
	if got := h.watchReq(t, bridge.WatchRequest{AssemblyID: id}); got != bridge.OutcomeWatchFailed {
		t.Fatalf("outcome = %q; want %q", got, bridge.OutcomeWatchFailed)
	}
	evs := h.events(t, id)
	if len(evs) != 1 || evs[0].Type != schemas.TypeWatchFailed {
		t.Fatalf("events = %v; want one watch.failed", types(evs))
	}
}

func TestEventsHeldDuringPublisherOutage(t *testing.T) {
	h := newHarness(t, modeSSE, nil)
	h.pub.SetOutage(true)
	st := h.create(t, transloadittest.Script{
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "thumbs", Robot: "/image/resize", Results: 4},
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := h.m.Watch(ctx, bridge.WatchRequest{AssemblyID: st.AssemblyID, AssemblySSLURL: st.AssemblySSLURL}); err != nil {
		t.Fatal(err)
	}
	// The Assembly finishes upstream while nothing can be published.
	if err := h.srv.AwaitState(ctx, st.AssemblyID, func(s *transloadit.Status) bool { return s.Terminal() }); err != nil {
		t.Fatal(err)
	}
	h.pub.SetOutage(false)
	if got, err := h.m.Wait(ctx, st.AssemblyID); err != nil || got != bridge.OutcomeCompleted {
		t.Fatalf("Wait = %q, %v; want completed", got, err)
	}
	normalizetest.CheckLifecycle(t, testPrefix, h.final(t, st.AssemblyID), h.events(t, st.AssemblyID))
}

func TestWatchRequestsRefused(t *testing.T) {
	h := newHarness(t, modeSSE, func(c *bridge.ManagerConfig) { c.MaxWatches = 1 })
	slow := h.create(t, transloadittest.Script{Tick: time.Hour})
	other := h.create(t, transloadittest.Script{Tick: time.Hour})
	ctx := context.Background()
	tests := []struct {
		name string
		req  bridge.WatchRequest
		want string
	}{
		{"bad id", bridge.WatchRequest{AssemblyID: "not-an-id"}, bridge.CodeInvalidAssemblyID},
		{"upper-case id", bridge.WatchRequest{AssemblyID: "0123456789ABCDEF0123456789ABCDEF"}, bridge.CodeInvalidAssemblyID},
		{"foreign host", bridge.WatchRequest{AssemblyID: other.AssemblyID,
			AssemblySSLURL: "https://evil.example.com/assemblies/" + other.AssemblyID}, bridge.CodeURLNotAllowed},
		{"file url", bridge.WatchRequest{AssemblyID: other.AssemblyID,
			UpdateStreamURL: "file:///etc/passwd?assembly=" + other.AssemblyID}, bridge.CodeURLNotAllowed},
		{"url of another assembly", bridge.WatchRequest{AssemblyID: other.AssemblyID,
			AssemblySSLURL: h.srv.MachineURL + "/assemblies/" + slow.AssemblyID}, bridge.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, err := h.m.Watch(ctx, tt.req)
			var we *bridge.WatchError
			if !errors.As(err, &we) || we.Code != tt.want || reply.OK || reply.Error != tt.want {
				t.Fatalf("Watch = %+v, %v; want %s", reply, err, tt.want)
			}
		})
	}
	if n := len(h.srv.StatusRequests(other.AssemblyID)); n != 0 {
		t.Errorf("refused requests made %d status requests; want 0", n)
	}

	first, err := h.m.Watch(ctx, bridge.WatchRequest{AssemblyID: slow.AssemblyID})
	if err != nil || !first.OK {
		t.Fatalf("Watch = %+v, %v", first, err)
	}
	again, err := h.m.Watch(ctx, bridge.WatchRequest{AssemblyID: slow.AssemblyID})
	if err != nil || again != first {
		t.Fatalf("second Watch = %+v, %v; want the same reply %+v", again, err, first)
	}
	if n := len(h.m.List()); n != 1 {
		t.Fatalf("List has %d watches; want 1", n)
	}
	if _, err := h.m.Watch(ctx, bridge.WatchRequest{AssemblyID: other.AssemblyID}); !isCode(err, bridge.CodeTooManyWatches) {
		t.Fatalf("Watch over the limit: %v; want %s", err, bridge.CodeTooManyWatches)
	}
	if !h.m.Unwatch(slow.AssemblyID) {
		t.Fatal("Unwatch = false")
	}
	if got, _ := h.m.Wait(ctx, slow.AssemblyID); got != bridge.OutcomeStopped {
		t.Fatalf("outcome after Unwatch = %q; want stopped", got)
	}
	if err := h.m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.m.Watch(ctx, bridge.WatchRequest{AssemblyID: other.AssemblyID}); !isCode(err, bridge.CodeShuttingDown) {
		t.Fatalf("Watch after Shutdown: %v; want %s", err, bridge.CodeShuttingDown)
	}
}

func isCode(err error, code string) bool {
	var we *bridge.WatchError
	return errors.As(err, &we) && we.Code == code
}

func types(evs []*schemas.Event) []schemas.Type {
	out := make([]schemas.Type, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

// A failure the stream reports with the Assembly's whole failed status
// ends the watch as failed, without waiting for a poll.
func TestStreamReportedFailure(t *testing.T) {
	h := newHarness(t, modeSSE, func(c *bridge.ManagerConfig) { c.PollInterval = time.Hour })
	st := h.create(t, transloadittest.Script{
		// Slow enough that the stream, not the poll made on connect, is
		// first to tell of the failure.
		Tick: 400 * time.Millisecond, StartOnStream: true,
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "encoded", Robot: "/video/encode"},
		},
		FailStep: "encoded", FailCode: "INTERNAL_COMMAND_ERROR",
	})
	if got := h.watch(t, st); got != bridge.OutcomeFailed {
		t.Fatalf("outcome = %q; want %q", got, bridge.OutcomeFailed)
	}
	evs := h.events(t, st.AssemblyID)
	normalizetest.CheckLifecycle(t, testPrefix, h.final(t, st.AssemblyID), evs)
	if last := evs[len(evs)-1]; last.Base().Source != schemas.SourceSSE {
		t.Errorf("failed came from %s; want the stream (the test is meant to cover that path)", last.Base().Source)
	}
}

// Unwatch frees the Assembly at once: a Watch right after starts a new
// worker rather than confirming the one that is stopping.
func TestWatchRightAfterUnwatch(t *testing.T) {
	h := newHarness(t, modePoll, func(c *bridge.ManagerConfig) { c.PollInterval = time.Hour })
	st := h.create(t, transloadittest.Script{Tick: time.Hour})
	ctx := context.Background()
	req := bridge.WatchRequest{AssemblyID: st.AssemblyID}
	if _, err := h.m.Watch(ctx, req); err != nil {
		t.Fatal(err)
	}
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := h.srv.AwaitStatusRequests(actx, st.AssemblyID, 1); err != nil {
		t.Fatal(err)
	}
	if !h.m.Unwatch(st.AssemblyID) {
		t.Fatal("Unwatch = false")
	}
	if reply, err := h.m.Watch(ctx, req); err != nil || !reply.OK {
		t.Fatalf("Watch after Unwatch = %+v, %v", reply, err)
	}
	if _, ok := h.m.Get(st.AssemblyID); !ok || h.m.Active() != 1 {
		t.Fatalf("after Unwatch and Watch: watched = %v, active = %d; want one watch", ok, h.m.Active())
	}
	// The new worker starts with a fetch of its own.
	if err := h.srv.AwaitStatusRequests(actx, st.AssemblyID, 2); err != nil {
		t.Fatalf("no second worker fetched the status: %v", err)
	}
}

// A watch whose events could not all be published, because shutdown cut
// the wait for NATS short, stopped; it did not complete.
func TestUndeliveredTerminalIsNotCompleted(t *testing.T) {
	ended := make(chan bridge.Outcome, 1)
	reg := prometheus.NewRegistry()
	h := newHarness(t, modePoll, func(c *bridge.ManagerConfig) {
		c.OnWatchEnd = func(_ string, outcome bridge.Outcome) { ended <- outcome }
		c.Metrics = bridge.NewMetrics(reg)
	})
	h.pub.SetOutage(true)
	st := h.create(t, transloadittest.Script{})
	final := awaitTerminal(t, h, st.AssemblyID)
	ctx := context.Background()
	if _, err := h.m.Watch(ctx, bridge.WatchRequest{AssemblyID: final.AssemblyID}); err != nil {
		t.Fatal(err)
	}
	// Wait until the worker holds its first event for NATS.
	awaitGauge(t, reg, "tlbridge_publish_pending", "above 0: the worker never tried to publish",
		func(v float64) bool { return v != 0 })
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_ = h.m.Shutdown(sctx)
	if got := <-ended; got != bridge.OutcomeStopped {
		t.Errorf("outcome = %q with nothing delivered; want %q", got, bridge.OutcomeStopped)
	}
}
