package normalize

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge/normalize/normalizetest"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/schematest"
	"github.com/tlbridge/tlbridge/stream"
)

// The golden files are rewritten with
// `go test ./bridge/normalize -run Golden -update`.
// The flag is registered only if no other test file of the package did.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func normUpdateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const normTestID = "2b7beaddf0a046e2ada603346f2cbee1"

var normT0 = time.Date(2024, 8, 28, 13, 26, 0, 0, time.UTC)

// normAt is normT0 plus ms milliseconds.
func normAt(ms int) time.Time { return normT0.Add(time.Duration(ms) * time.Millisecond) }

func newTestNormalizer() *Normalizer {
	return New(Config{AssemblyID: normTestID, Source: "tlbridge/test"})
}

// normObserve feeds observations one by one, checks every event against
// the catalogue, and returns all events.
func normObserve(t *testing.T, n *Normalizer, obs ...Observation) []schemas.Event {
	t.Helper()
	var all []schemas.Event
	for _, o := range obs {
		evs := n.Observe(o)
		for _, ev := range evs {
			normCheck(t, n, ev)
		}
		all = append(all, evs...)
	}
	return all
}

// normCheck validates one event with schematest and the size limit.
func normCheck(t *testing.T, n *Normalizer, ev schemas.Event) []byte {
	t.Helper()
	b := schematest.CheckEvent(t, ev)
	if max := n.cfg.MaxPayload - len(ev.ID) - headerRoom; len(b) > max {
		t.Errorf("event %s is %d bytes; limit %d", ev.ID, len(b), max)
	}
	return b
}

// normKeys returns each event's ID without the "<assembly id>/" prefix.
func normKeys(evs []schemas.Event) []string {
	keys := make([]string, len(evs))
	for i, ev := range evs {
		keys[i] = strings.TrimPrefix(ev.ID, normTestID+"/")
	}
	return keys
}

func normWantKeys(t *testing.T, got []schemas.Event, want ...string) {
	t.Helper()
	if g := normKeys(got); !slices.Equal(g, want) {
		t.Errorf("events =\n  %q\nwant\n  %q", g, want)
	}
}

func normFileOf(id string) transloadit.File {
	return transloadit.File{ID: id, Name: id + ".bin", Size: 10, Meta: json.RawMessage(`{"k":1}`)}
}

// normStatus builds a status: uploads by id, then step/result-id groups
// like "thumbs=t1,t2".
func normStatus(ok transloadit.State, uploads []string, steps ...string) *transloadit.Status {
	st := &transloadit.Status{OK: ok, AssemblyID: normTestID}
	for _, id := range uploads {
		st.Uploads = append(st.Uploads, normFileOf(id))
	}
	for _, s := range steps {
		name, ids, _ := strings.Cut(s, "=")
		var files []transloadit.File
		for id := range strings.SplitSeq(ids, ",") {
			if id != "" {
				files = append(files, normFileOf(id))
			}
		}
		st.Results.Append(name, files...)
	}
	if ok != transloadit.StateUploading {
		st.UploadMetaDataExtracted = true
	}
	return st
}

func normPoll(ms int, st *transloadit.Status) Observation {
	return StatusObservation{Source: "poll", At: normAt(ms), Status: st}
}

func normSSE(ms int, u stream.Update) Observation {
	u.ReceivedAt = normAt(ms)
	return UpdateObservation{At: normAt(ms), Update: &u}
}

func sseUpload(id string) stream.Update {
	f := normFileOf(id)
	return stream.Update{Kind: stream.KindUploadFinished, Name: stream.EvUploadFinished, Upload: &f}
}

func sseResult(step, id string) stream.Update {
	f := normFileOf(id)
	return stream.Update{Kind: stream.KindResultFinished, Name: stream.EvResultFinished, Step: step, Result: &f}
}

func sseProgress(v float64) stream.Update {
	return stream.Update{Kind: stream.KindExecutionProgress, Name: stream.EvExecutionProgress,
		Progress: &stream.Progress{Combined: &v, PerFile: []stream.FileProgress{{OriginalID: "u1", Progress: v}}}}
}

func sseMessage(kind stream.Kind, name string) stream.Update {
	return stream.Update{Kind: kind, Name: name, Raw: []byte(name)}
}

// TestNormalizeSkippedStates: one status can stand for several states;
// the events of every state in between come out once, in lifecycle order.
func TestNormalizeSkippedStates(t *testing.T) {
	withExec := func(st *transloadit.Status) *transloadit.Status {
		st.ExecutionStart = "2024/08/28 13:26:01 GMT"
		return st
	}
	replay := func(st *transloadit.Status) *transloadit.Status {
		st.ParentID = "7828446e5acd4aa996dce3455ec914e9"
		return st
	}
	failed := func(st *transloadit.Status) *transloadit.Status {
		st.Error, st.Message = transloadit.CodeCrashed, "The Assembly crashed."
		st.SetExtra("ok", json.RawMessage("null"))
		return st
	}
	tests := []struct {
		name string
		obs  []Observation
		want []string
	}{{
		name: "completed seen first",
		obs: []Observation{normPoll(0, func() *transloadit.Status {
			st := normStatus(transloadit.StateCompleted, []string{"u1", "u2"}, ":original=u1,u2", "thumbs=t1,t2")
			st.Warnings = []transloadit.Warning{{Level: "notice", Msg: "slow"}}
			return st
		}())},
		want: []string{"uploading", "upload/u1", "upload/u2", "executing", "meta",
			"result/:original/u1", "result/:original/u2", "result/thumbs/t1", "result/thumbs/t2", "warning/0", "completed"},
	}, {
		name: "uploading then completed",
		obs: []Observation{
			normPoll(0, func() *transloadit.Status {
				st := normStatus(transloadit.StateUploading, []string{"u1"})
				st.BytesReceived = 10
				return st
			}()),
			normPoll(2000, normStatus(transloadit.StateCompleted, []string{"u1", "u2"}, "thumbs=t1")),
		},
		want: []string{"uploading", "upload.progress/10", "upload/u1", "upload/u2", "executing", "meta", "result/thumbs/t1", "completed"},
	}, {
		name: "executing seen first",
		obs:  []Observation{normPoll(0, normStatus(transloadit.StateExecuting, nil))},
		want: []string{"uploading", "executing", "meta"},
	}, {
		name: "results while still uploading",
		obs:  []Observation{normPoll(0, normStatus(transloadit.StateUploading, []string{"u1"}, ":original=u1"))},
		want: []string{"uploading", "upload/u1", "executing", "result/:original/u1"},
	}, {
		name: "canceled while uploading",
		obs:  []Observation{normPoll(0, normStatus(transloadit.StateCanceled, []string{"u1"}))},
		want: []string{"uploading", "upload/u1", "meta", "canceled"},
	}, {
		name: "aborted",
		obs:  []Observation{normPoll(0, normStatus(transloadit.StateAborted, nil))},
		want: []string{"uploading", "meta", "aborted"},
	}, {
		name: "failed after execution started",
		obs:  []Observation{normPoll(0, withExec(failed(normStatus("", []string{"u1"}))))},
		want: []string{"uploading", "upload/u1", "executing", "meta", "failed"},
	}, {
		name: "failed with results",
		obs:  []Observation{normPoll(0, failed(normStatus("", []string{"u1"}, "thumbs=t1")))},
		want: []string{"uploading", "upload/u1", "executing", "meta", "result/thumbs/t1", "failed"},
	}, {
		name: "replaying",
		obs: []Observation{
			normPoll(0, normStatus(transloadit.StateReplaying, nil, "thumbs=t1")),
			normPoll(2000, normStatus(transloadit.StateCompleted, nil, "thumbs=t1,t2")),
		},
		want: []string{"replaying", "meta", "result/thumbs/t1", "result/thumbs/t2", "completed"},
	}, {
		name: "replay seen completed",
		obs:  []Observation{normPoll(0, replay(normStatus(transloadit.StateCompleted, nil, "thumbs=t1")))},
		want: []string{"replaying", "meta", "result/thumbs/t1", "completed"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newTestNormalizer()
			got := normObserve(t, n, tt.obs...)
			normWantKeys(t, got, tt.want...)
			if !n.Done() && schemas.Type(tt.want[len(tt.want)-1]).Terminal() {
				t.Error("Done() = false after the terminal event")
			}
		})
	}
}

func TestNormalizeReplayingCarriesParent(t *testing.T) {
	n := newTestNormalizer()
	st := normStatus(transloadit.StateReplaying, nil)
	st.ParentID = "7828446e5acd4aa996dce3455ec914e9"
	evs := normObserve(t, n, normPoll(0, st))
	if len(evs) == 0 || evs[0].Type != schemas.TypeReplaying || evs[0].Base().ParentID != st.ParentID {
		t.Fatalf("events = %v; want replaying with parent_id first", normKeys(evs))
	}
}

// TestNormalizeExactlyOnceAcrossSources: an upload or result is emitted
// once, whichever source shows it first and however often.
func TestNormalizeExactlyOnceAcrossSources(t *testing.T) {
	tests := []struct {
		name string
		obs  []Observation
		want []string
	}{{
		name: "stream first, then status",
		obs: []Observation{
			normSSE(0, sseUpload("u1")),
			normSSE(100, sseMessage(stream.KindUploadingFinished, stream.MsgUploadingFinished)),
			normSSE(200, sseResult("thumbs", "t1")),
			normPoll(300, normStatus(transloadit.StateExecuting, []string{"u1", "u2"}, "thumbs=t1,t2")),
		},
		want: []string{"uploading", "upload/u1", "executing", "result/thumbs/t1", "upload/u2", "meta", "result/thumbs/t2"},
	}, {
		name: "status first, then stream duplicates",
		obs: []Observation{
			normPoll(0, normStatus(transloadit.StateExecuting, []string{"u1"}, "thumbs=t1")),
			normSSE(100, sseUpload("u1")),
			normSSE(200, sseResult("thumbs", "t1")),
			normSSE(300, sseResult("thumbs", "t1")),
		},
		want: []string{"uploading", "upload/u1", "executing", "meta", "result/thumbs/t1"},
	}, {
		name: "stream delivers twice (reconnect)",
		obs: []Observation{
			normSSE(0, sseUpload("u1")), normSSE(10, sseUpload("u1")),
			normSSE(20, sseResult("thumbs", "t1")), normSSE(30, sseResult("thumbs", "t1")),
		},
		want: []string{"uploading", "upload/u1", "executing", "result/thumbs/t1"},
	}, {
		// A count of entries alone would take u2 for the one the stream
		// showed and skip u1.
		name: "stream order differs from the status array",
		obs: []Observation{
			normSSE(0, sseUpload("u2")),
			normSSE(10, sseResult("thumbs", "t2")),
			normPoll(20, normStatus(transloadit.StateExecuting, []string{"u1", "u2"}, "thumbs=t1,t2")),
		},
		want: []string{"uploading", "upload/u2", "executing", "result/thumbs/t2", "upload/u1", "meta", "result/thumbs/t1"},
	}, {
		name: "same result id in two steps",
		obs: []Observation{
			normSSE(0, sseResult("a", "x")),
			normPoll(10, normStatus(transloadit.StateExecuting, nil, "a=x", "b=x")),
		},
		want: []string{"uploading", "executing", "result/a/x", "meta", "result/b/x"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			normWantKeys(t, normObserve(t, newTestNormalizer(), tt.obs...), tt.want...)
		})
	}
}

// normScript is one Assembly's true history, from which random
// observation sequences are drawn.
type normScript struct {
	uploads []string
	steps   []string
	results map[string][]string
}

func normRandomScript(r *rand.Rand) normScript {
	s := normScript{results: map[string][]string{}}
	for i := range 1 + r.IntN(4) {
		s.uploads = append(s.uploads, fmt.Sprintf("u%d", i))
	}
	for i := range 1 + r.IntN(3) {
		step := fmt.Sprintf("s%d", i)
		s.steps = append(s.steps, step)
		for j := range r.IntN(5) {
			s.results[step] = append(s.results[step], fmt.Sprintf("%s-r%d", step, j))
		}
	}
	return s
}

// statusAt is the status after the first k facts (uploads first, then
// results step by step), with ok set accordingly.
func (s normScript) statusAt(k int, final transloadit.State) *transloadit.Status {
	st := &transloadit.Status{OK: transloadit.StateUploading, AssemblyID: normTestID}
	for _, u := range s.uploads {
		if k == 0 {
			// Half of the next upload is in: progress to report.
			st.BytesReceived += 5
			return st
		}
		st.Uploads = append(st.Uploads, normFileOf(u))
		st.BytesReceived += normFileOf(u).Size
		k--
	}
	st.OK, st.UploadMetaDataExtracted = transloadit.StateExecuting, true
	for _, step := range s.steps {
		st.Results.Append(step)
		for _, id := range s.results[step] {
			if k == 0 {
				return st
			}
			st.Results.Append(step, normFileOf(id))
			k--
		}
	}
	st.OK = final
	return st
}

// updates is the stream's view of the whole history.
func (s normScript) updates() []stream.Update {
	var us []stream.Update
	for _, u := range s.uploads {
		us = append(us, sseUpload(u))
	}
	us = append(us, sseMessage(stream.KindUploadingFinished, stream.MsgUploadingFinished),
		sseMessage(stream.KindMetaDataExtracted, stream.MsgMetaDataExtracted))
	for _, step := range s.steps {
		for _, id := range s.results[step] {
			us = append(us, sseResult(step, id), sseProgress(float64(len(us))))
		}
	}
	return append(us, sseMessage(stream.KindAssemblyFinished, stream.MsgAssemblyFinished))
}

func (s normScript) facts() int {
	n := len(s.uploads)
	for _, step := range s.steps {
		n += len(s.results[step])
	}
	return n
}

// TestNormalizeRandomHistories: for random histories observed through a
// random mix of stream updates (dropped, duplicated, reordered) and
// statuses (some stale), every upload and result comes out exactly once,
// no event ID repeats, uploading is first, executing precedes every result
// and execution progress, and the terminal event comes once, last.
func TestNormalizeRandomHistories(t *testing.T) {
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 7))
		s := normRandomScript(r)
		final := []transloadit.State{transloadit.StateCompleted, transloadit.StateCanceled}[r.IntN(2)]
		var obs []Observation
		ms := 0
		for _, u := range s.updates() {
			ms += r.IntN(700)
			switch p := r.Float64(); {
			case p < 0.2: // dropped
				continue
			case p < 0.3: // duplicated
				obs = append(obs, normSSE(ms, u), normSSE(ms+1, u))
			case p < 0.4 && len(obs) > 0: // swapped with the previous one
				last := obs[len(obs)-1]
				obs = append(obs[:len(obs)-1], normSSE(ms, u), last)
			default:
				obs = append(obs, normSSE(ms, u))
			}
			if r.IntN(4) == 0 {
				obs = append(obs, normPoll(ms, s.statusAt(r.IntN(s.facts()+1), final)))
			}
		}
		obs = append(obs, normPoll(ms+1000, s.statusAt(s.facts(), final)))
		n := newTestNormalizer()
		evs := normObserve(t, n, obs...)
		if err := normCheckHistory(s, final, evs); err != nil {
			t.Fatalf("seed %d: %v\nevents %q", seed, err, normKeys(evs))
		}
	}
}

func normCheckHistory(s normScript, final transloadit.State, evs []schemas.Event) error {
	want := map[string]bool{}
	for _, u := range s.uploads {
		want["upload/"+u] = true
	}
	for _, step := range s.steps {
		for _, id := range s.results[step] {
			want["result/"+step+"/"+id] = true
		}
	}
	seen := map[string]bool{}
	executing := false
	for i, k := range normKeys(evs) {
		if seen[k] {
			return fmt.Errorf("event %s twice", k)
		}
		seen[k] = true
		typ := evs[i].Type
		switch {
		case i == 0 && typ != schemas.TypeUploading:
			return fmt.Errorf("first event is %s", k)
		case typ == schemas.TypeExecuting:
			executing = true
		case (typ == schemas.TypeStepResult || typ == schemas.TypeExecutionProgress) && !executing:
			return fmt.Errorf("%s before executing", k)
		case typ.Terminal() && i != len(evs)-1:
			return fmt.Errorf("terminal %s is not last", k)
		}
		delete(want, k)
	}
	if len(want) > 0 {
		return fmt.Errorf("never emitted: %v", want)
	}
	wantLast := map[transloadit.State]schemas.Type{transloadit.StateCompleted: schemas.TypeCompleted, transloadit.StateCanceled: schemas.TypeCanceled}[final]
	if len(evs) == 0 || evs[len(evs)-1].Type != wantLast {
		return fmt.Errorf("last event is not %s", wantLast)
	}
	return nil
}

// TestNormalizeNothingAfterTerminal: once the terminal event is out, no
// observation and no GiveUp yields anything.
func TestNormalizeNothingAfterTerminal(t *testing.T) {
	n := newTestNormalizer()
	evs := normObserve(t, n, normPoll(0, normStatus(transloadit.StateCompleted, []string{"u1"}, "thumbs=t1")))
	if !n.Done() || evs[len(evs)-1].Type != schemas.TypeCompleted {
		t.Fatalf("events %q; want completed last and Done", normKeys(evs))
	}
	late := []Observation{
		normSSE(100, sseResult("thumbs", "t2")),
		normSSE(200, sseUpload("u2")),
		normSSE(5000, sseProgress(99)),
		normSSE(5100, sseMessage(stream.KindUploadingFinished, stream.MsgUploadingFinished)),
		normSSE(5200, sseMessage(stream.KindMetaDataExtracted, stream.MsgMetaDataExtracted)),
		normPoll(6000, normStatus(transloadit.StateCompleted, []string{"u1", "u2"}, "thumbs=t1,t2", "more=m1")),
		normPoll(7000, func() *transloadit.Status {
			st := normStatus("", nil)
			st.Error = transloadit.CodeCrashed
			return st
		}()),
	}
	for _, o := range late {
		if got := n.Observe(o); got != nil {
			t.Errorf("Observe after terminal = %q; want nil", normKeys(got))
		}
	}
	if got := n.GiveUp(GiveUpExpired, normAt(9000), "ttl"); got != nil {
		t.Errorf("GiveUp after terminal = %q; want nil", normKeys(got))
	}
}

// TestNormalizeTerminalOnceAndLast: a terminal status seen again, or a
// different terminal status, adds nothing; in its own batch the terminal
// event is last.
func TestNormalizeTerminalOnceAndLast(t *testing.T) {
	n := newTestNormalizer()
	done := normStatus(transloadit.StateCompleted, []string{"u1"}, "thumbs=t1")
	evs := normObserve(t, n, normPoll(0, done), normPoll(1000, done), normPoll(2000, normStatus(transloadit.StateCanceled, nil)))
	count := 0
	for _, ev := range evs {
		if ev.Type.Terminal() {
			count++
		}
	}
	if count != 1 || evs[len(evs)-1].Type != schemas.TypeCompleted {
		t.Errorf("events %q; want exactly one terminal event, last", normKeys(evs))
	}
}

// TestNormalizeProgressCoalesced: at most one progress event per second of
// observation time, only when the value grew past the last one emitted,
// never after the terminal event.
func TestNormalizeProgressCoalesced(t *testing.T) {
	uploading := func(bytes int64) *transloadit.Status {
		st := normStatus(transloadit.StateUploading, nil)
		st.BytesReceived = bytes
		exp := int64(100)
		st.BytesExpected = &exp
		return st
	}
	n := newTestNormalizer()
	evs := normObserve(t, n,
		normPoll(0, uploading(10)),    // emitted
		normPoll(500, uploading(20)),  // too soon
		normPoll(1000, uploading(30)), // emitted
		normPoll(1200, uploading(40)), // too soon
		normPoll(1900, uploading(40)), // too soon
		normPoll(2500, uploading(40)), // emitted: 40 > 30, the value held back before
		normPoll(4000, uploading(40)), // no growth
		normSSE(4400, sseMessage(stream.KindUploadingFinished, stream.MsgUploadingFinished)),
		normSSE(4500, sseProgress(10)), // emitted: 2 s after the last progress event
		normSSE(4600, sseProgress(20)), // too soon
		normSSE(5500, sseProgress(15)), // emitted: grown past the 10 last sent
		normSSE(6600, sseProgress(15)), // no growth
		normSSE(7000, sseProgress(100)),
		normPoll(7100, normStatus(transloadit.StateCompleted, nil)),
		normSSE(9000, sseProgress(100)),
	)
	normWantKeys(t, evs, "uploading", "upload.progress/10", "upload.progress/30", "upload.progress/40",
		"executing", "progress/10", "progress/15", "progress/100", "meta", "completed")
	for _, ev := range evs {
		if p, ok := ev.Data.(*schemas.UploadProgress); ok && (p.BytesExpected == nil || *p.BytesExpected != 100) {
			t.Errorf("%s: bytes_expected = %v; want 100", ev.ID, p.BytesExpected)
		}
	}
}

func TestNormalizeProgressSharesOneClock(t *testing.T) {
	st := normStatus(transloadit.StateUploading, nil)
	st.BytesReceived = 50
	evs := normObserve(t, newTestNormalizer(), normPoll(0, st), normSSE(500, sseProgress(5)))
	normWantKeys(t, evs, "uploading", "upload.progress/50", "executing")
}

func TestNormalizeNoUploadProgressFromTerminalStatus(t *testing.T) {
	st := normStatus(transloadit.StateCompleted, nil)
	st.BytesReceived = 50
	normWantKeys(t, normObserve(t, newTestNormalizer(), normPoll(0, st)), "uploading", "executing", "meta", "completed")
}

// normRun runs observations through a fresh normalizer, returning the
// encoded events.
func normRun(t *testing.T, obs []Observation) [][]byte {
	t.Helper()
	n := newTestNormalizer()
	var out [][]byte
	for _, ev := range normObserve(t, n, obs...) {
		out = append(out, normCheck(t, n, ev))
	}
	return out
}

// TestNormalizeDeterministic: the same observations give byte-identical
// events, and a restart that replays a prefix of them then goes on emits
// the same IDs for the events it repeats (JetStream drops those).
func TestNormalizeDeterministic(t *testing.T) {
	s := normScript{uploads: []string{"u1", "u2"}, steps: []string{"a", "b"}, results: map[string][]string{"a": {"a1", "a2"}, "b": {"b1"}}}
	var obs []Observation
	for i, u := range s.updates() {
		obs = append(obs, normSSE(i*300, u))
	}
	obs = append(obs, normPoll(10000, s.statusAt(s.facts(), transloadit.StateCompleted)))
	first, second := normRun(t, obs), normRun(t, obs)
	if len(first) != len(second) {
		t.Fatalf("%d events, then %d", len(first), len(second))
	}
	for i := range first {
		if !bytes.Equal(first[i], second[i]) {
			t.Errorf("event %d differs:\n%s\n%s", i, first[i], second[i])
		}
	}

	// Crash after half the observations; the restarted worker sees them all.
	crashed := newTestNormalizer()
	before := normObserve(t, crashed, obs[:len(obs)/2]...)
	after := map[string]bool{}
	for _, ev := range normObserve(t, newTestNormalizer(), obs...) {
		after[ev.ID] = true
	}
	for _, ev := range before {
		if !after[ev.ID] {
			t.Errorf("event %s before the restart has no twin after it", ev.ID)
		}
	}
}

// TestNormalizeDiffCostIsNew: a status diff examines only the entries
// past those already verified.
func TestNormalizeDiffCostIsNew(t *testing.T) {
	const total = 2000
	n := newTestNormalizer()
	st := normStatus(transloadit.StateExecuting, []string{"u1"}, "other=o1")
	for i := range total {
		st.Results.Append("thumbs", normFileOf(fmt.Sprintf("t%d", i)))
	}
	if evs := n.Observe(normPoll(0, st)); len(evs) != total+5 { // uploading, executing, u1, meta, o1
		t.Fatalf("first status gave %d events; want %d", len(evs), total+5)
	}
	before := n.scanned
	st.Results.Append("thumbs", normFileOf("new"))
	evs := normObserve(t, n, normPoll(1000, st))
	normWantKeys(t, evs, "result/thumbs/new")
	if got := n.scanned - before; got != 1 {
		t.Errorf("diff with one new result examined %d entries; want 1", got)
	}
	before = n.scanned
	if evs := normObserve(t, n, normPoll(2000, st)); len(evs) != 0 {
		t.Errorf("unchanged status gave %q", normKeys(evs))
	}
	if got := n.scanned - before; got != 0 {
		t.Errorf("unchanged status examined %d entries; want 0", got)
	}
}

// TestNormalizeReorderedArray: when an array was reordered or shrank, the
// seen set catches what a tail check would get wrong.
func TestNormalizeReorderedArray(t *testing.T) {
	n := newTestNormalizer()
	normObserve(t, n, normPoll(0, normStatus(transloadit.StateExecuting, nil, "s=r1,r2,r3")))
	evs := normObserve(t, n, normPoll(1000, normStatus(transloadit.StateExecuting, nil, "s=r3,r1,r2,r4")))
	normWantKeys(t, evs, "result/s/r4")
	evs = normObserve(t, n, normPoll(2000, normStatus(transloadit.StateExecuting, nil, "s=r1")))
	normWantKeys(t, evs)
	evs = normObserve(t, n, normPoll(3000, normStatus(transloadit.StateExecuting, nil, "s=r5,r1,r2,r3,r4")))
	normWantKeys(t, evs, "result/s/r5")
	// Same first and last entry, a new one swapped into the middle.
	evs = normObserve(t, n, normPoll(4000, normStatus(transloadit.StateExecuting, nil, "s=r5,r1,r6,r3,r4,r7")))
	if got := normKeys(evs); !slices.Contains(got, "result/s/r7") {
		t.Errorf("events %q; want r7", got)
	}
}

// TestNormalizeResultsWithoutID: a result without an id is keyed by its
// index in the status's array; the stream cannot place it, so it waits
// for a status.
func TestNormalizeResultsWithoutID(t *testing.T) {
	n := newTestNormalizer()
	noID := func(ok transloadit.State) *transloadit.Status {
		st := normStatus(ok, nil, "s=r0")
		st.Results.Append("s", transloadit.File{Name: "anonymous.png"})
		return st
	}
	anon := transloadit.File{Name: "anonymous.png"}
	evs := normObserve(t, n,
		normSSE(0, stream.Update{Kind: stream.KindResultFinished, Step: "s", Result: &anon}),
		normPoll(100, noID(transloadit.StateExecuting)),
		normPoll(200, noID(transloadit.StateCompleted)),
	)
	normWantKeys(t, evs, "uploading", "executing", "meta", "result/s/r0", "result/s/~1", "completed")
}

// TestNormalizeCompactState: the normalizer keeps no status, file or
// update, only counts, flags and seen IDs.
func TestNormalizeCompactState(t *testing.T) {
	banned := map[reflect.Type]bool{
		reflect.TypeFor[transloadit.Status]():  true,
		reflect.TypeFor[transloadit.File]():    true,
		reflect.TypeFor[transloadit.Results](): true,
		reflect.TypeFor[stream.Update]():       true,
		reflect.TypeFor[schemas.File]():        true,
		reflect.TypeFor[schemas.Event]():       true,
		reflect.TypeFor[json.RawMessage]():     true,
	}
	var walk func(t reflect.Type, path string)
	seen := map[reflect.Type]bool{}
	walk = func(typ reflect.Type, path string) {
		if banned[typ] {
			t.Errorf("Normalizer%s holds a %s", path, typ)
			return
		}
		if seen[typ] {
			return
		}
		seen[typ] = true
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(typ.Elem(), path+"[]")
		case reflect.Map:
			walk(typ.Key(), path+"{key}")
			walk(typ.Elem(), path+"{}")
		case reflect.Struct:
			for i := range typ.NumField() {
				walk(typ.Field(i).Type, path+"."+typ.Field(i).Name)
			}
		case reflect.Interface, reflect.Func, reflect.Chan:
			t.Errorf("Normalizer%s is a %s, which could hold anything", path, typ.Kind())
		}
	}
	walk(reflect.TypeFor[Normalizer](), "")
}

// TestNormalizeMaxPayload: an event that would not fit loses the file's
// meta first and says so; one that fits is untouched; the observed status
// is never modified.
func TestNormalizeMaxPayload(t *testing.T) {
	big := json.RawMessage(`{"blob":"` + strings.Repeat("x", 20000) + `"}`)
	st := normStatus(transloadit.StateExecuting, []string{"u1"}, "s=small,large,huge")
	st.Results.Get("s")[1].Meta = big
	st.Results.Get("s")[1].Extra = map[string]json.RawMessage{"queue": json.RawMessage(`"live"`)}
	st.Results.Get("s")[2].Meta = big
	st.Results.Get("s")[2].Extra = map[string]json.RawMessage{"user_meta": big, "queue": json.RawMessage(`"live"`)}
	st.Warnings = []transloadit.Warning{{Level: "warning", Msg: strings.Repeat("é", 10000)}}
	n := New(Config{AssemblyID: normTestID, MaxPayload: 8 << 10})
	evs := normObserve(t, n, normPoll(0, st))
	byKey := map[string]schemas.Event{}
	for _, ev := range evs {
		byKey[strings.TrimPrefix(ev.ID, normTestID+"/")] = ev
	}
	small := byKey["result/s/small"].Data.(*schemas.StepResult)
	if small.Truncated || string(small.Result.Meta) != `{"k":1}` {
		t.Errorf("small result: truncated %v, meta %s; want untouched", small.Truncated, small.Result.Meta)
	}
	large := byKey["result/s/large"].Data.(*schemas.StepResult)
	if !large.Truncated || large.Result.Meta != nil || large.Result.ID != "large" || large.Result.Name != "large.bin" ||
		string(large.Result.Extra["queue"]) != `"live"` {
		t.Errorf("large result: %+v; want meta dropped, truncated, the rest kept", large)
	}
	huge := byKey["result/s/huge"].Data.(*schemas.StepResult)
	if !huge.Truncated || huge.Result.Meta != nil || huge.Result.Extra != nil || huge.Result.ID != "huge" {
		t.Errorf("huge result: %+v; want meta and extra members dropped", huge)
	}
	w := byKey["warning/0"].Data.(*schemas.Warning)
	if !w.Truncated || len(w.Msg) > shortText || !utf8Valid(w.Msg) {
		t.Errorf("warning: truncated %v, %d bytes; want cut to %d on a rune boundary", w.Truncated, len(w.Msg), shortText)
	}
	if string(st.Results.Get("s")[2].Meta) != string(big) || st.Results.Get("s")[2].Extra["user_meta"] == nil {
		t.Error("the observed status was modified")
	}
}

// shortText is the length schemas cuts a long text to, in the end.
const shortText = 1 << 10

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// TestNormalizeTerminalSummary: the terminal event counts per Step and
// carries durations, never the result list.
func TestNormalizeTerminalSummary(t *testing.T) {
	n := newTestNormalizer()
	normObserve(t, n, normSSE(0, sseResult("b", "b1")))
	st := normStatus(transloadit.StateCompleted, []string{"u1", "u2"}, "a=a1,a2", "b=b1", "empty=")
	up, ex := 1.5, 4.25
	st.UploadDuration, st.ExecutionDuration = &up, &ex
	st.Message = "The Assembly was successfully completed."
	evs := normObserve(t, n, normPoll(1000, st))
	last := evs[len(evs)-1]
	c, ok := last.Data.(*schemas.Completed)
	if !ok {
		t.Fatalf("last event %s; want completed", last.ID)
	}
	want := schemas.Summary{Uploads: 2, Results: 3, UploadDuration: &up, ExecutionDuration: &ex,
		Steps: []schemas.StepSummary{{Name: "b", Results: 1}, {Name: "a", Results: 2}, {Name: "empty", Results: 0}}}
	if !reflect.DeepEqual(c.Summary, want) {
		t.Errorf("summary = %+v; want %+v", c.Summary, want)
	}
	if c.Message != st.Message {
		t.Errorf("message = %q", c.Message)
	}
	b, _ := schemas.Encode(last)
	for _, id := range []string{"a1", "a2", "b1", "u1"} {
		if bytes.Contains(b, []byte(`"`+id+`"`)) {
			t.Errorf("terminal event names file %s: %s", id, b)
		}
	}
}

func TestNormalizeFailed(t *testing.T) {
	errno := int64(-2)
	tests := []struct {
		name string
		st   func() *transloadit.Status
		want schemas.Failed
	}{{
		name: "error in a 200 with ok null",
		st: func() *transloadit.Status {
			st := normStatus("", nil)
			st.Error, st.Message, st.Reason = transloadit.CodeExpired, "The Assembly expired.", "8h"
			st.SetExtra("ok", json.RawMessage("null"))
			return st
		},
		want: schemas.Failed{Error: transloadit.CodeExpired, Message: "The Assembly expired.", Reason: "8h"},
	}, {
		name: "system error shape",
		st: func() *transloadit.Status {
			st := normStatus("", nil)
			st.Errno, st.Code, st.Syscall = &errno, "ENOENT", "open"
			st.SetExtra("path", json.RawMessage(`"/srv/uploads/x"`))
			return st
		},
		want: schemas.Failed{SystemError: &schemas.SystemError{Errno: -2, Code: "ENOENT", Syscall: "open", Path: "/srv/uploads/x"}},
	}, {
		name: "unknown ok value",
		st:   func() *transloadit.Status { return normStatus("ASSEMBLY_SOMETHING_NEW", nil) },
		want: schemas.Failed{Base: schemas.Base{State: "ASSEMBLY_SOMETHING_NEW"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := normObserve(t, newTestNormalizer(), normPoll(0, tt.st()))
			f, ok := evs[len(evs)-1].Data.(*schemas.Failed)
			if !ok {
				t.Fatalf("events %q; want failed last", normKeys(evs))
			}
			if f.Error != tt.want.Error || f.Message != tt.want.Message || f.Reason != tt.want.Reason ||
				!reflect.DeepEqual(f.SystemError, tt.want.SystemError) || f.State != tt.want.State {
				t.Errorf("failed = %+v; want %+v", f, tt.want)
			}
		})
	}
}

func TestNormalizeWarningsOnce(t *testing.T) {
	st := func(msgs ...string) *transloadit.Status {
		s := normStatus(transloadit.StateExecuting, nil)
		for _, m := range msgs {
			s.Warnings = append(s.Warnings, transloadit.Warning{Level: "notice", Msg: m})
		}
		return s
	}
	evs := normObserve(t, newTestNormalizer(), normPoll(0, st("a")), normPoll(1000, st("a", "b")), normPoll(2000, st("a", "b")), normPoll(3000, st("a")))
	normWantKeys(t, evs, "uploading", "executing", "meta", "warning/0", "warning/1")
	if w := evs[4].Data.(*schemas.Warning); w.Index != 1 || w.Msg != "b" || w.Level != "notice" {
		t.Errorf("warning = %+v", w)
	}
}

// TestNormalizeAssemblyErrorFromStream: the stream's assembly_error makes
// failed only when it carries a full failed status of this Assembly, and
// never after assembly_finished.
func TestNormalizeAssemblyErrorFromStream(t *testing.T) {
	bare := &transloadit.Status{Error: "ASSEMBLY_CRASHED", Message: "boom"}
	full := normStatus("", []string{"u1"})
	full.Error, full.Message = transloadit.CodeCrashed, "boom"
	errUpdate := func(st *transloadit.Status) stream.Update {
		return stream.Update{Kind: stream.KindAssemblyError, Name: stream.EvAssemblyError, Error: st}
	}

	n := newTestNormalizer()
	if evs := normObserve(t, n, normSSE(0, errUpdate(bare)), normSSE(10, stream.Update{Kind: stream.KindAssemblyError})); len(evs) != 0 || n.Done() {
		t.Errorf("bare assembly_error gave %q, Done %v; want nothing", normKeys(evs), n.Done())
	}
	evs := normObserve(t, n, normSSE(100, errUpdate(full)))
	normWantKeys(t, evs, "uploading", "upload/u1", "meta", "failed")
	if !n.Done() || evs[len(evs)-1].Base().Source != schemas.SourceSSE {
		t.Errorf("Done %v, source %q; want done, sse", n.Done(), evs[len(evs)-1].Base().Source)
	}

	n = newTestNormalizer()
	normObserve(t, n, normSSE(0, sseMessage(stream.KindAssemblyFinished, stream.MsgAssemblyFinished)))
	if evs := normObserve(t, n, normSSE(10, errUpdate(full))); len(evs) != 0 || n.Done() {
		t.Errorf("assembly_error after assembly_finished gave %q; want nothing", normKeys(evs))
	}
}

// TestNormalizeAssemblyFinishedFromStream: assembly_finished alone does
// not complete the Assembly; the final status does.
func TestNormalizeAssemblyFinishedFromStream(t *testing.T) {
	n := newTestNormalizer()
	evs := normObserve(t, n, normSSE(0, sseResult("s", "r1")), normSSE(10, sseMessage(stream.KindAssemblyFinished, stream.MsgAssemblyFinished)))
	normWantKeys(t, evs, "uploading", "executing", "result/s/r1")
	if n.Done() {
		t.Fatal("Done after assembly_finished alone")
	}
	evs = normObserve(t, n, normPoll(100, normStatus(transloadit.StateCompleted, nil, "s=r1,r2")))
	normWantKeys(t, evs, "meta", "result/s/r2", "completed")
}

// TestNormalizeIgnoresForeignBodies: rate-limit and not-found bodies and
// other Assemblies' statuses say nothing about this Assembly.
func TestNormalizeIgnoresForeignBodies(t *testing.T) {
	n := newTestNormalizer()
	other := normStatus(transloadit.StateCompleted, []string{"x"})
	other.AssemblyID = "ffffffffffffffffffffffffffffffff"
	for _, st := range []*transloadit.Status{
		{Error: transloadit.CodeStatusRateLimit, Info: &transloadit.Info{RetryIn: 1}},
		{Error: transloadit.CodeRateLimit},
		{Error: transloadit.CodeNotFound},
		{Error: transloadit.CodeStatusNotFound},
		other,
	} {
		if evs := normObserve(t, n, normPoll(0, st)); len(evs) != 0 {
			t.Errorf("status %+v gave %q", st, normKeys(evs))
		}
	}
	if n.Done() || n.state != "" {
		t.Errorf("state changed: done %v, state %q", n.Done(), n.state)
	}
}

func TestNormalizeGiveUp(t *testing.T) {
	n := newTestNormalizer()
	normObserve(t, n, normSSE(0, sseUpload("u1")))
	evs := n.GiveUp(GiveUpExpired, normAt(5000), "watch TTL reached")
	for _, ev := range evs {
		normCheck(t, n, ev)
	}
	normWantKeys(t, evs, "watch/expired")
	if d, ok := evs[0].Data.(*schemas.WatchExpired); !ok || d.Reason != "expired" || d.Detail != "watch TTL reached" ||
		d.Source != schemas.SourceBridge || d.State != string(transloadit.StateUploading) ||
		evs[0].Subject != "transloadit.v1.assemblies."+normTestID+".watch.expired" {
		t.Errorf("event = %+v %+v", evs[0], evs[0].Data)
	}
	if !n.Done() || n.GiveUp(GiveUpFailed, normAt(6000), "") != nil || n.Observe(normPoll(7000, normStatus(transloadit.StateCompleted, nil))) != nil {
		t.Error("events after giving up")
	}

	n = newTestNormalizer()
	evs = n.GiveUp(GiveUpFailed, normAt(0), "assembly not found upstream")
	for _, ev := range evs {
		normCheck(t, n, ev)
	}
	normWantKeys(t, evs, "watch/failed")
	if evs[0].Type != schemas.TypeWatchFailed {
		t.Errorf("type = %s; want watch.failed", evs[0].Type)
	}
}

// TestNormalizeStateNeverRegresses: a lagging status does not undo what
// the stream said; events keep the furthest state known.
func TestNormalizeStateNeverRegresses(t *testing.T) {
	n := newTestNormalizer()
	evs := normObserve(t, n,
		normSSE(0, sseMessage(stream.KindUploadingFinished, stream.MsgUploadingFinished)),
		normPoll(100, normStatus(transloadit.StateUploading, nil)),
		normSSE(200, sseUpload("late")),
	)
	last := evs[len(evs)-1]
	if last.Type != schemas.TypeUploadFinished || last.Base().State != string(transloadit.StateExecuting) {
		t.Errorf("late upload: %s in state %q; want ASSEMBLY_EXECUTING", last.Type, last.Base().State)
	}
}

// TestNormalizeLaggingStatus: a poll answered from behind the stream
// (still uploading, bytes still growing) neither takes the state back nor
// reports upload progress after execution started.
func TestNormalizeLaggingStatus(t *testing.T) {
	n := newTestNormalizer()
	lagging := normStatus(transloadit.StateUploading, []string{"u1"})
	lagging.BytesReceived = 500
	evs := normObserve(t, n,
		normSSE(0, sseUpload("u0")),
		normSSE(100, sseMessage(stream.KindUploadingFinished, stream.MsgUploadingFinished)),
		normPoll(2000, lagging),
	)
	for _, ev := range evs {
		if ev.Type == schemas.TypeUploadProgress {
			t.Errorf("upload.progress after executing: %s", ev.ID)
		}
	}
	last := evs[len(evs)-1]
	if last.Type != schemas.TypeUploadFinished || last.Base().State != string(transloadit.StateExecuting) {
		t.Errorf("upload from the lagging status: %s in state %q; want ASSEMBLY_EXECUTING", last.Type, last.Base().State)
	}
}

// TestNormalizeEnvelope: configured prefix and source, time = observed_at,
// and the base fields of data.
func TestNormalizeEnvelope(t *testing.T) {
	n := New(Config{AssemblyID: normTestID, Prefix: "acme.tl", Source: "tlbridge/pod-1"})
	evs := normObserve(t, n, normSSE(1500, sseResult("my step.v2", "r1")))
	ev := evs[len(evs)-1]
	if ev.Source != "tlbridge/pod-1" || ev.Subject != "acme.tl.v1.assemblies."+normTestID+".steps.my%20step%2Ev2.result" ||
		ev.ID != normTestID+"/result/my%20step%2Ev2/r1" || !ev.Time.Equal(normAt(1500)) {
		t.Errorf("envelope = %+v", ev)
	}
	b := ev.Base()
	if b.AssemblyID != normTestID || b.State != string(transloadit.StateExecuting) || b.Source != "sse" || !b.ObservedAt.Equal(normAt(1500)) {
		t.Errorf("base = %+v", b)
	}
	if d := ev.Data.(*schemas.StepResult); d.Step != "my step.v2" {
		t.Errorf("step = %q; want the raw name", d.Step)
	}

	def := New(Config{AssemblyID: normTestID})
	evs = normObserve(t, def, StatusObservation{Status: normStatus(transloadit.StateUploading, nil), At: normAt(0)})
	if evs[0].Source != "tlbridge" || !strings.HasPrefix(evs[0].Subject, "transloadit.v1.") || evs[0].Base().Source != "poll" {
		t.Errorf("defaults: %+v", evs[0])
	}
	// Without At, the update's receive time is used.
	evs = normObserve(t, newTestNormalizer(), UpdateObservation{Update: func() *stream.Update { u := sseUpload("u9"); u.ReceivedAt = normAt(42); return &u }()})
	if !evs[0].Time.Equal(normAt(42)) || evs[0].Base().Source != "sse" {
		t.Errorf("time %v source %q; want the update's receive time, sse", evs[0].Time, evs[0].Base().Source)
	}
}

// normParseSSE reads a recorded update stream into updates, a frame per
// blank-line-separated block, the way the stream client types them.
func normParseSSE(t *testing.T, path string) []stream.Update {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var us []stream.Update
	for block := range strings.SplitSeq(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n\n") {
		var event, data string
		for line := range strings.SplitSeq(block, "\n") {
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				event = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				data = v
			}
		}
		if data == "" {
			continue
		}
		us = append(us, normTypeFrame(t, event, data))
	}
	return us
}

func normTypeFrame(t *testing.T, event, data string) stream.Update {
	t.Helper()
	u := stream.Update{Name: event, Raw: []byte(data)}
	var err error
	switch event {
	case "":
		u.Name = data
		u.Kind = map[string]stream.Kind{stream.MsgUploadingFinished: stream.KindUploadingFinished,
			stream.MsgMetaDataExtracted: stream.KindMetaDataExtracted, stream.MsgAssemblyFinished: stream.KindAssemblyFinished}[data]
	case stream.EvUploadFinished:
		u.Kind, u.Upload = stream.KindUploadFinished, new(transloadit.File)
		err = json.Unmarshal([]byte(data), u.Upload)
	case stream.EvResultFinished:
		u.Kind, u.Result = stream.KindResultFinished, new(transloadit.File)
		var pair []json.RawMessage
		if err = json.Unmarshal([]byte(data), &pair); err == nil && len(pair) == 2 {
			if err = json.Unmarshal(pair[0], &u.Step); err == nil {
				err = json.Unmarshal(pair[1], u.Result)
			}
		}
	case stream.EvExecutionProgress:
		u.Kind, u.Progress = stream.KindExecutionProgress, new(stream.Progress)
		err = json.Unmarshal([]byte(data), u.Progress)
	case stream.EvAssemblyError:
		u.Kind, u.Error = stream.KindAssemblyError, new(transloadit.Status)
		err = json.Unmarshal([]byte(data), u.Error)
	}
	if err != nil {
		t.Fatalf("frame %s: %v", event, err)
	}
	return u
}

// normGolden compares events with a checked-in golden file, a JSON array
// of the encoded events.
func normGolden(t *testing.T, name string, n *Normalizer, evs []schemas.Event) {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("[\n")
	for i, ev := range evs {
		b := normCheck(t, n, ev)
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, b, "  ", "  "); err != nil {
			t.Fatal(err)
		}
		buf.WriteString("  ")
		buf.Write(pretty.Bytes())
		if i < len(evs)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("]\n")
	path := filepath.Join("testdata", "golden", name)
	if normUpdateGolden() {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("events differ from %s (run with -update to accept):\n%s", path, buf.Bytes())
	}
}

// TestNormalizeGoldenSeedStatus: the documented example status, observed
// alone (e.g. the first fetch of a finished Assembly).
func TestNormalizeGoldenSeedStatus(t *testing.T) {
	raw, err := os.ReadFile("../../internal/transloadit/testdata/seed-status.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := transloadit.DecodeStatus(raw)
	if err != nil {
		t.Fatal(err)
	}
	n := New(Config{AssemblyID: st.AssemblyID, Source: "tlbridge/test"})
	evs := n.Observe(StatusObservation{Source: "poll", At: time.Date(2020, 1, 9, 12, 2, 15, 0, time.UTC), Status: st})
	normGolden(t, "seed-status.json", n, evs)
	var keys []string
	for _, ev := range evs {
		keys = append(keys, strings.TrimPrefix(ev.ID, st.AssemblyID+"/"))
	}
	want := []string{"uploading", "upload/a30bd0776e7f4ac3817b056d102e8219", "executing", "meta",
		"result/:original/a30bd0776e7f4ac3817b056d102e8219", "result/faces_detected/b8d12f6c517541ca86bf50c537cedb27", "completed"}
	if !slices.Equal(keys, want) {
		t.Errorf("events = %q; want %q", keys, want)
	}
}

// TestNormalizeGoldenRecording: the real stream of Assembly
// 2b7beaddf0a046e2ada603346f2cbee1, frames 400 ms apart, then its final
// status (constructed from the stream's payloads).
func TestNormalizeGoldenRecording(t *testing.T) {
	updates := normParseSSE(t, "../../internal/transloadit/testdata/sse-recording-two-uploads.txt")
	if len(updates) != 9 {
		t.Fatalf("parsed %d frames; want 9", len(updates))
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "golden", "recording-final-status.json"))
	if err != nil {
		t.Fatal(err)
	}
	final, err := transloadit.DecodeStatus(raw)
	if err != nil {
		t.Fatal(err)
	}
	n := newTestNormalizer()
	var evs []schemas.Event
	for i, u := range updates {
		evs = append(evs, n.Observe(normSSE(i*400, u))...)
	}
	if n.Done() {
		t.Fatal("Done before the final status")
	}
	evs = append(evs, n.Observe(normPoll(len(updates)*400+600, final))...)
	normGolden(t, "recording.json", n, evs)
	normWantKeys(t, evs, "uploading", "upload/e48cdd96971c4485976bce09cbc32a78", "executing",
		"result/waveformed/8197cd2434784ec4b63340c6a06169eb", "upload/99757ab201334bf8b04ae0a3474c523c", "meta",
		"progress/50", "result/waveformed/e5f6cd5256b94b88bbfad872a0ba1cb3", "completed")
}

// TestNormalizeRecordingOrder: the recorded real stream keeps the order
// the catalogue guarantees, with the stream's own exception.
func TestNormalizeRecordingOrder(t *testing.T) {
	n := newTestNormalizer()
	var evs []*schemas.Event
	for i, u := range normParseSSE(t, "../../internal/transloadit/testdata/sse-recording-two-uploads.txt") {
		for _, ev := range n.Observe(normSSE(i*400, u)) {
			evs = append(evs, &ev)
		}
	}
	normalizetest.CheckOrder(t, evs)
}

// A result under a very long step name gets an event ID of bounded length,
// built from the same bounded token as its subject; the data keeps the
// whole name.
func TestNormalizeLongStepBoundsTheID(t *testing.T) {
	step := strings.Repeat("ä-step/", 700)
	evs := normObserve(t, newTestNormalizer(), normPoll(0, normStatus(transloadit.StateCompleted, nil, step+"=r1")))
	for _, ev := range evs {
		if ev.Type != schemas.TypeStepResult {
			continue
		}
		if len(ev.ID) > 2*schemas.MaxTokenLen+len(normTestID)+32 {
			t.Errorf("event ID is %d bytes: %.80s…", len(ev.ID), ev.ID)
		}
		if got := ev.Data.(*schemas.StepResult).Step; got != step {
			t.Errorf("data.step lost the full name (%d bytes of %d)", len(got), len(step))
		}
		return
	}
	t.Fatal("no step.result")
}

// The latest progress reading inside a window is held, not dropped: when
// the window closes it is published with the time it was observed, unless
// its moment passed meanwhile.
func TestNormalizeProgressLatestIsKept(t *testing.T) {
	n := newTestNormalizer()
	evs := normObserve(t, n,
		normSSE(0, sseMessage(stream.KindUploadingFinished, stream.MsgUploadingFinished)),
		normSSE(100, sseProgress(10)), // emitted
		normSSE(300, sseProgress(20)), // held
		normSSE(600, sseProgress(30)), // held, replacing 20
	)
	normWantKeys(t, evs, "uploading", "executing", "progress/10")
	due, ok := n.ProgressDue()
	if !ok || !due.Equal(normAt(1100)) {
		t.Fatalf("ProgressDue() = %v, %v; want %v", due, ok, normAt(1100))
	}
	if got := n.FlushProgress(normAt(1000)); got != nil {
		t.Errorf("FlushProgress inside the window = %q; want nothing yet", normKeys(got))
	}
	got := n.FlushProgress(normAt(1100))
	normWantKeys(t, got, "progress/30")
	if at := got[0].Base().ObservedAt; !at.Equal(normAt(600)) {
		t.Errorf("held progress observed_at = %v; want when it was read, %v", at, normAt(600))
	}
	if _, ok := n.ProgressDue(); ok {
		t.Error("a reading is still held after the flush")
	}
	// The next window opens at the flush: a reading 0.5 s later is held.
	normWantKeys(t, normObserve(t, n, normSSE(1600, sseProgress(40))))

	// A held upload reading whose moment passed is dropped.
	up := newTestNormalizer()
	st := func(bytes int64) *transloadit.Status {
		s := normStatus(transloadit.StateUploading, nil)
		s.BytesReceived = bytes
		return s
	}
	normObserve(t, up, normPoll(0, st(10)), normPoll(300, st(20)))
	normObserve(t, up, normSSE(400, sseMessage(stream.KindUploadingFinished, stream.MsgUploadingFinished)))
	if got := up.FlushProgress(normAt(2000)); got != nil {
		t.Errorf("upload progress flushed after executing: %q", normKeys(got))
	}
}
