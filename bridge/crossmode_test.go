package bridge_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/normalize/normalizetest"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/schemas"
)

// crossScripts are the Assemblies every source must describe alike.
var crossScripts = []struct {
	name    string
	script  transloadittest.Script
	outcome bridge.Outcome
}{
	{"2 uploads, 3 steps", transloadittest.Script{
		Uploads: []transloadittest.Upload{{Name: "a.jpg", Size: 4000}, {Name: "b.png", Size: 9000}},
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "thumbs", Robot: "/image/resize", Results: 2},
			{Name: "exported", Robot: "/s3/store", Use: "thumbs"},
		},
	}, bridge.OutcomeCompleted},
	{"failed", transloadittest.Script{
		Uploads: []transloadittest.Upload{{Name: "a.mp4", Size: 4000}, {Name: "b.mp4", Size: 9000}},
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "encoded", Robot: "/video/encode"},
			{Name: "exported", Robot: "/s3/store", Use: "encoded"},
		},
		FailStep: "encoded",
	}, bridge.OutcomeFailed},
	{"replay", transloadittest.Script{
		ParentID: "7828446e5acd4aa996dce3455ec914e9",
		Uploads:  []transloadittest.Upload{},
		Steps: []transloadittest.Step{
			{Name: "imported", Robot: "/http/import", Results: 2},
			{Name: "thumbs", Robot: "/image/resize"},
			{Name: "exported", Robot: "/s3/store", Use: "thumbs"},
		},
	}, bridge.OutcomeCompleted},
}

// crossMode is one way the bridge can learn about an Assembly.
type crossMode struct {
	name      string
	transport string
	// faults are added to every script.
	faults transloadittest.Faults
	// fromStart holds each Assembly until its stream connects, so the
	// stream sees its whole life.
	fromStart bool
	// watch makes the bridge follow the Assembly st and returns the
	// outcome.
	watch func(h *harness, t testing.TB, st *transloadit.Status) bridge.Outcome
}

var crossModes = []crossMode{
	{name: "stream", transport: modeSSE, fromStart: true, watch: (*harness).watch},
	{name: "polling only", transport: modePoll, watch: (*harness).watch},
	{name: "notifications only", transport: modePoll, watch: watchNotified},
	{name: "late watch", transport: modeSSE, watch: watchLate},
	{name: "stream drops every 2 frames", transport: modeSSE, fromStart: true,
		faults: transloadittest.Faults{DropStreamAfter: 2}, watch: (*harness).watch},
}

// watchNotified hands the bridge the Assembly's final status as a
// notification, the only thing it learns.
func watchNotified(h *harness, t testing.TB, st *transloadit.Status) bridge.Outcome {
	t.Helper()
	final := awaitTerminal(t, h, st.AssemblyID)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if reply, err := h.m.Notify(ctx, final); err != nil || !reply.OK {
		t.Fatalf("Notify = %+v, %v", reply, err)
	}
	outcome, err := h.m.Wait(ctx, st.AssemblyID)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if n := len(h.srv.StatusRequests(st.AssemblyID)); n != 0 {
		t.Errorf("status requests = %d; a terminal notification needs none", n)
	}
	return outcome
}

// watchLate asks for the watch only once the Assembly has ended.
func watchLate(h *harness, t testing.TB, st *transloadit.Status) bridge.Outcome {
	t.Helper()
	awaitTerminal(t, h, st.AssemblyID)
	return h.watch(t, st)
}

// TestSameEventsInEveryMode: whatever the bridge learns an Assembly from
// (the stream, polling, a notification, a late watch, a stream that keeps
// dropping), it publishes the same sequence of events: every upload and
// result exactly once, in lifecycle order. Progress events, which depend
// on timing, are left out of the comparison.
func TestSameEventsInEveryMode(t *testing.T) {
	var mu sync.Mutex
	got := map[string]map[string][]schemas.Type{} // script → mode → kinds
	t.Run("modes", func(t *testing.T) {
		for _, m := range crossModes {
			t.Run(m.name, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, m.transport, nil)
				t.Cleanup(func() {
					// Whether a stream came back before its Assembly ended
					// depends on the reconnect backoff; that drops happened
					// does not.
					if c := h.srv.Counters(); m.faults.DropStreamAfter > 0 && c.StreamsDropped < len(crossScripts) {
						t.Errorf("streams dropped = %d; want one per Assembly at least", c.StreamsDropped)
					}
				})
				for _, sc := range crossScripts {
					t.Run(sc.name, func(t *testing.T) {
						t.Parallel()
						script := sc.script
						script.Faults, script.StartOnStream = m.faults, m.fromStart
						st := h.create(t, script)
						if o := m.watch(h, t, st); o != sc.outcome {
							t.Errorf("outcome = %q; want %q", o, sc.outcome)
						}
						evs := h.events(t, st.AssemblyID)
						normalizetest.CheckLifecycle(t, testPrefix, h.final(t, st.AssemblyID), evs)
						mu.Lock()
						defer mu.Unlock()
						if got[sc.name] == nil {
							got[sc.name] = map[string][]schemas.Type{}
						}
						got[sc.name][m.name] = kindsWithoutProgress(evs)
					})
				}
			})
		}
	})
	for _, sc := range crossScripts {
		want := got[sc.name][crossModes[0].name]
		t.Logf("%s: %v", sc.name, want)
		for _, m := range crossModes[1:] {
			if kinds := got[sc.name][m.name]; !slices.Equal(kinds, want) {
				t.Errorf("%s, %s:\n  %v\nwant (as %s)\n  %v", sc.name, m.name, kinds, crossModes[0].name, want)
			}
		}
	}
}

func kindsWithoutProgress(evs []*schemas.Event) []schemas.Type {
	var kinds []schemas.Type
	for _, ev := range evs {
		if ev.Type != schemas.TypeUploadProgress && ev.Type != schemas.TypeExecutionProgress {
			kinds = append(kinds, ev.Type)
		}
	}
	return kinds
}
