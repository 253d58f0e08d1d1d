package bridge_test

import (
	"reflect"
	"sync"
	"testing"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/normalize/normalizetest"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

// TestFinalStatusSkipsKnownResults: when the stream brought every result,
// the status fetched before the terminal event hands the normalizer each
// of them as its id alone, and the events are the full lifecycle still.
func TestFinalStatusSkipsKnownResults(t *testing.T) {
	h := newHarness(t, modeSSE, nil)
	var (
		mu       sync.Mutex
		statuses []*transloadit.Status
	)
	bridge.OnStatus(h.m, func(st *transloadit.Status) {
		mu.Lock()
		defer mu.Unlock()
		statuses = append(statuses, st)
	})
	st := h.create(t, transloadittest.Script{
		StartOnStream: true,
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "thumbs", Robot: "/image/resize", Results: 20},
		},
	})
	if o := h.watch(t, st); o != bridge.OutcomeCompleted {
		t.Fatalf("outcome = %q; want completed", o)
	}
	final := h.final(t, st.AssemblyID)
	normalizetest.CheckLifecycle(t, testPrefix, final, h.events(t, st.AssemblyID))

	mu.Lock()
	defer mu.Unlock()
	if len(statuses) == 0 {
		t.Fatal("no status reached the normalizer")
	}
	last := statuses[len(statuses)-1]
	if last.OK != transloadit.StateCompleted {
		t.Fatalf("last status observed is %q; want the terminal one", last.OK)
	}
	if got, want := last.Results.Count(), final.Results.Count(); got != want || want < 20 {
		t.Fatalf("terminal status has %d results; want %d (at least 20)", got, want)
	}
	for _, step := range final.Results.Steps() {
		for i, f := range final.Results.Get(step) {
			if got := last.Results.Get(step)[i]; !reflect.DeepEqual(got, transloadit.File{ID: f.ID}) {
				t.Errorf("terminal status: %s[%d] decoded in full (%s); want its id alone, the stream brought it", step, i, got.Name)
			}
		}
	}
}
