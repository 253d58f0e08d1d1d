package normalize

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// TestCheckpointResumes: a history cut anywhere, its checkpoint stored as
// JSON and restored into a fresh Normalizer, yields the same events as the
// uninterrupted history, none twice.
func TestCheckpointResumes(t *testing.T) {
	for seed := range uint64(100) {
		r := rand.New(rand.NewPCG(seed, 11))
		s := normRandomScript(r)
		var obs []Observation
		ms := 0
		for _, u := range s.updates() {
			ms += r.IntN(1500)
			obs = append(obs, normSSE(ms, u))
			if r.IntN(3) == 0 {
				obs = append(obs, normPoll(ms, s.statusAt(r.IntN(s.facts()+1), transloadit.StateCompleted)))
			}
		}
		obs = append(obs, normPoll(ms+1000, s.statusAt(s.facts(), transloadit.StateCompleted)))
		want := normKeys(normObserve(t, newTestNormalizer(), obs...))

		cut := r.IntN(len(obs) + 1)
		first := newTestNormalizer()
		got := normKeys(normObserve(t, first, obs[:cut]...))
		second := restored(t, first)
		got = append(got, normKeys(normObserve(t, second, obs[cut:]...))...)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d, cut %d of %d: resumed history\n%q\nwant\n%q", seed, cut, len(obs), got, want)
		}
	}
}

// TestCheckpointDone: a checkpoint taken after the terminal event makes
// the restored Normalizer emit nothing more.
func TestCheckpointDone(t *testing.T) {
	n := newTestNormalizer()
	normObserve(t, n, normPoll(0, normStatus(transloadit.StateCompleted, []string{"u1"}, "thumbs=t1")))
	cp := n.Checkpoint()
	if !cp.Done || cp.State != string(transloadit.StateCompleted) {
		t.Fatalf("Checkpoint() = %+v; want done and completed", cp)
	}
	m := newTestNormalizer()
	m.Restore(cp)
	if evs := m.Observe(normPoll(10, normStatus(transloadit.StateCompleted, []string{"u1", "u2"}, "thumbs=t1,t2"))); len(evs) != 0 {
		t.Errorf("restored done Normalizer emitted %q", normKeys(evs))
	}
}

// TestCheckpointKeepsFinishedBytes: after a resume, upload progress that
// the uploads already emitted account for stays unsaid, as it would have
// without the interruption.
func TestCheckpointKeepsFinishedBytes(t *testing.T) {
	uploading := func(bytes int64) *transloadit.Status {
		st := normStatus(transloadit.StateUploading, []string{"u1"})
		st.BytesReceived = bytes
		return st
	}
	first := newTestNormalizer()
	normObserve(t, first, normPoll(0, normStatus(transloadit.StateUploading, nil)), normSSE(100, sseUpload("u1")))
	second := restored(t, first)
	// u1 is 10 bytes: a reading of 10 says nothing new, one of 15 does.
	evs := normObserve(t, second, normPoll(2000, uploading(10)), normPoll(4000, uploading(15)))
	normWantKeys(t, evs, "upload.progress/15")
}

// TestCheckpointKeepsMissingMeta: an upload emitted without meta still
// makes the metadata notice worth a fetch after a resume.
func TestCheckpointKeepsMissingMeta(t *testing.T) {
	first := newTestNormalizer()
	u := sseUpload("u1")
	u.Upload.Meta = nil
	normObserve(t, first, normSSE(0, u))
	if !restored(t, first).UploadsLackMeta() {
		t.Error("UploadsLackMeta() = false after a resume; the upload came without meta")
	}
}

// restored returns a fresh Normalizer restored from n's checkpoint, stored
// as JSON in between.
func restored(t *testing.T, n *Normalizer) *Normalizer {
	t.Helper()
	b, err := json.Marshal(n.Checkpoint())
	if err != nil {
		t.Fatal(err)
	}
	var cp Checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		t.Fatal(err)
	}
	m := newTestNormalizer()
	m.Restore(cp)
	return m
}
