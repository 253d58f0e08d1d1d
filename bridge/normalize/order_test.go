package normalize

import (
	"encoding/json"
	"testing"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/stream"
)

// TestNormalizeLifecycleOrder: whatever one observation shows, its events
// come out in lifecycle order: uploads and their metadata before
// executing, results after it, the terminal event last.
func TestNormalizeLifecycleOrder(t *testing.T) {
	failedLate := normStatus("", []string{"u1", "u2"}, "a=a1", "b=b1", "c=c1")
	failedLate.Error, failedLate.Message = transloadit.CodeCrashed, "The Assembly crashed."
	failedLate.SetExtra("ok", json.RawMessage("null"))
	tests := []struct {
		name string
		obs  []Observation
		want []string
	}{{
		name: "late watch of a completed Assembly",
		obs: []Observation{normPoll(0, func() *transloadit.Status {
			st := normStatus(transloadit.StateCompleted, []string{"u1", "u2"}, "a=a1,a2", "b=b1", "c=c1")
			st.Warnings = []transloadit.Warning{{Level: "notice", Msg: "slow"}}
			return st
		}())},
		want: []string{"uploading", "upload/u1", "upload/u2", "executing", "meta",
			"result/a/a1", "result/a/a2", "result/b/b1", "result/c/c1", "warning/0", "completed"},
	}, {
		name: "late watch of a failed Assembly",
		obs:  []Observation{normPoll(0, failedLate)},
		want: []string{"uploading", "upload/u1", "upload/u2", "executing", "meta",
			"result/a/a1", "result/b/b1", "result/c/c1", "failed"},
	}, {
		name: "polling: uploading, then executing with the last upload",
		obs: []Observation{
			normPoll(0, normStatus(transloadit.StateUploading, []string{"u1"})),
			normPoll(1000, normStatus(transloadit.StateExecuting, []string{"u1", "u2"}, "a=a1")),
			normPoll(2000, normStatus(transloadit.StateCompleted, []string{"u1", "u2"}, "a=a1,a2")),
		},
		want: []string{"uploading", "upload/u1", "upload/u2", "executing", "meta", "result/a/a1", "result/a/a2", "completed"},
	}, {
		name: "stream connected late: the status fills in before the stream goes on",
		obs: []Observation{
			normPoll(0, normStatus(transloadit.StateExecuting, []string{"u1", "u2"})),
			normSSE(100, sseResult("a", "a1")),
			normPoll(200, normStatus(transloadit.StateCompleted, []string{"u1", "u2"}, "a=a1")),
		},
		want: []string{"uploading", "upload/u1", "upload/u2", "executing", "meta", "result/a/a1", "completed"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			normWantKeys(t, normObserve(t, newTestNormalizer(), tt.obs...), tt.want...)
		})
	}
}

// TestNormalizeStateOfTheMoment: data.state is the state the event's
// moment implies, never empty, even when the status read has no ok; only
// failed keeps the status's (missing) ok.
func TestNormalizeStateOfTheMoment(t *testing.T) {
	st := normStatus("", []string{"u1"}, "a=a1")
	st.Error, st.Message = transloadit.CodeCrashed, "The Assembly crashed."
	st.SetExtra("ok", json.RawMessage("null"))
	st.Warnings = []transloadit.Warning{{Level: "notice", Msg: "slow"}}
	want := map[schemas.Type]transloadit.State{
		schemas.TypeUploading:           transloadit.StateUploading,
		schemas.TypeUploadFinished:      transloadit.StateUploading,
		schemas.TypeUploadMetaExtracted: transloadit.StateExecuting,
		schemas.TypeExecuting:           transloadit.StateExecuting,
		schemas.TypeStepResult:          transloadit.StateExecuting,
		schemas.TypeWarning:             transloadit.StateExecuting,
		schemas.TypeFailed:              "",
	}
	evs := normObserve(t, newTestNormalizer(), normPoll(0, st))
	normStatesAre(t, evs, want)

	// A completed Assembly seen late: each event says where the Assembly
	// stood when it happened, not where the status found it.
	evs = normObserve(t, newTestNormalizer(), normPoll(0, normStatus(transloadit.StateCompleted, []string{"u1"}, "a=a1")))
	want[schemas.TypeCompleted] = transloadit.StateCompleted
	normStatesAre(t, evs, want)
}

func normStatesAre(t *testing.T, evs []schemas.Event, want map[schemas.Type]transloadit.State) {
	t.Helper()
	for _, ev := range evs {
		w, ok := want[ev.Type]
		if !ok {
			t.Errorf("unexpected event %s", ev.ID)
			continue
		}
		if got := ev.Base().State; got != string(w) {
			t.Errorf("%s: state %q; want %q", ev.ID, got, w)
		}
	}
}

// TestNormalizeReplayFirstSeenExecuting: a replay whose first status says
// ASSEMBLY_EXECUTING without parent_id has opened its execution with
// executing; replaying never follows it. Later events carry parent_id and
// the replaying state.
func TestNormalizeReplayFirstSeenExecuting(t *testing.T) {
	replay := func(st *transloadit.Status) *transloadit.Status {
		st.ParentID = "7828446e5acd4aa996dce3455ec914e9"
		return st
	}
	n := newTestNormalizer()
	evs := normObserve(t, n,
		normPoll(0, normStatus(transloadit.StateExecuting, nil)),
		normPoll(1000, replay(normStatus(transloadit.StateReplaying, nil, "a=a1"))),
		normPoll(2000, replay(normStatus(transloadit.StateCompleted, nil, "a=a1"))),
	)
	normWantKeys(t, evs, "uploading", "executing", "meta", "result/a/a1", "completed")
	r := evs[3].Base()
	if r.ParentID == "" || r.State != string(transloadit.StateReplaying) {
		t.Errorf("result after the replay was known: parent %q, state %q; want the parent and ASSEMBLY_REPLAYING", r.ParentID, r.State)
	}

	// The same through the stream: a result opens executing.
	evs = normObserve(t, newTestNormalizer(),
		normSSE(0, sseResult("a", "a1")),
		normPoll(100, replay(normStatus(transloadit.StateReplaying, nil, "a=a1,a2"))),
	)
	normWantKeys(t, evs, "uploading", "executing", "result/a/a1", "meta", "result/a/a2")
}

// TestNormalizeNoUploadProgressAfterItsUpload: a status that still says
// uploading, read after the stream announced the upload its bytes belong
// to, reports no progress; bytes beyond the finished uploads do.
func TestNormalizeNoUploadProgressAfterItsUpload(t *testing.T) {
	uploading := func(bytes int64, uploads ...string) *transloadit.Status {
		st := normStatus(transloadit.StateUploading, uploads)
		st.BytesReceived = bytes
		exp := int64(20)
		st.BytesExpected = &exp
		return st
	}
	evs := normObserve(t, newTestNormalizer(),
		normSSE(0, sseUpload("u1")),         // 10 bytes
		normPoll(100, uploading(10)),        // its bytes: no progress
		normPoll(1200, uploading(15)),       // half of the next upload
		normPoll(2400, uploading(20, "u1")), // the last bytes, not yet announced
		normSSE(2500, sseUpload("u2")),      //
		normPoll(3600, uploading(20, "u1")), // all bytes, all finished: nothing
		normSSE(3700, sseMessage(stream.KindUploadingFinished, stream.MsgUploadingFinished)),
		normPoll(5000, uploading(20, "u1", "u2")), // lagging: nothing after executing
	)
	normWantKeys(t, evs, "uploading", "upload/u1", "upload.progress/15", "upload.progress/20", "upload/u2", "executing")

	// Within one status, progress comes before the uploads it counts.
	evs = normObserve(t, newTestNormalizer(), normPoll(0, uploading(15, "u1")))
	normWantKeys(t, evs, "uploading", "upload.progress/15", "upload/u1")
}

// TestNormalizeUploadsLackMeta: only an upload announced without meta
// makes the metadata notice worth a status fetch.
func TestNormalizeUploadsLackMeta(t *testing.T) {
	n := newTestNormalizer()
	normObserve(t, n, normSSE(0, sseUpload("u1")))
	if n.UploadsLackMeta() {
		t.Error("UploadsLackMeta() = true after an upload with meta")
	}
	for _, meta := range []string{"", "null", "{}"} {
		n := newTestNormalizer()
		u := sseUpload("u1")
		u.Upload.Meta = json.RawMessage(meta)
		normObserve(t, n, normSSE(0, sseUpload("u0")), normSSE(10, u))
		if !n.UploadsLackMeta() {
			t.Errorf("UploadsLackMeta() = false after an upload with meta %q", meta)
		}
	}
}
