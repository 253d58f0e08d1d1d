package normalize

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// BenchmarkObserve measures the cost of diffing a status that has one new
// result, for Assemblies that already have 100, 1,000 and 10,000 results.
// One op is one new result (its diff, event and size check), so ns/op is
// the cost per new result; it stays flat when the diff is O(new).
//
// The status grows by one result per op; every size/10 ops (at least 10)
// the Assembly is put back to its starting size, untimed, so the size
// stays within 10% of the label.
func BenchmarkObserve(b *testing.B) {
	for _, size := range []int{100, 1000, 10000} {
		b.Run(strconv.Itoa(size), func(b *testing.B) { benchObserve(b, size) })
	}
}

func benchObserve(b *testing.B, size int) {
	seen := make([]transloadit.File, size)
	for i := range seen {
		seen[i] = benchResult(fmt.Sprintf("seen%08d", i))
	}
	round := max(size/10, 10)
	fresh := make([]transloadit.File, round)
	for i := range fresh {
		fresh[i] = benchResult(fmt.Sprintf("new%08d", i))
	}
	primed := New(Config{AssemblyID: normTestID})
	primed.Observe(StatusObservation{Source: "poll", At: normAt(0), Status: benchStatus(seen)})

	var n *Normalizer
	var st *transloadit.Status
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%round == 0 {
			b.StopTimer()
			n, st = primed.benchClone(), benchStatus(seen)
			b.StartTimer()
		}
		st.Results.Append("thumbs", fresh[i%round])
		if evs := n.Observe(StatusObservation{Source: "poll", At: normAt(i), Status: st}); len(evs) != 1 {
			b.Fatalf("op %d: %d events; want 1", i, len(evs))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/new-result")
}

// benchResult is a result of typical size: a few hundred bytes of members
// and some metadata.
func benchResult(id string) transloadit.File {
	return transloadit.File{
		ID: id, Name: "photo.jpg", Basename: "photo", Ext: "jpg", Size: 141822, Mime: "image/jpeg",
		Type: "image", Field: "file", MD5Hash: "2a5cd917f4281b9438956e489c63dfd2",
		OriginalID: "a30bd0776e7f4ac3817b056d102e8219", OriginalName: "photo.jpg",
		SSLURL: "https://s3.amazonaws.com/demos.transloadit.com/b8/" + id + "/photo.jpg",
		Meta:   json.RawMessage(`{"width":621,"height":840,"aspect_ratio":"0.739","average_color":"#8d654d","colorspace":"RGB","frame_count":1}`),
		Extra:  map[string]json.RawMessage{"queue": json.RawMessage(`"live"`), "cost": json.RawMessage(`627606`), "exec_time": json.RawMessage(`0.83`)},
	}
}

func benchStatus(results []transloadit.File) *transloadit.Status {
	st := &transloadit.Status{OK: transloadit.StateExecuting, AssemblyID: normTestID, UploadMetaDataExtracted: true}
	st.Results.Append("thumbs", results...)
	return st
}

// benchClone copies the normalizer's state, so every round of the
// benchmark starts from the same primed Assembly without observing it
// again.
func (n *Normalizer) benchClone() *Normalizer {
	c := *n
	c.uploads = n.uploads.benchClone()
	c.stepOrder = slices.Clone(n.stepOrder)
	c.steps = make(map[string]*seenSet, len(n.steps))
	for k, v := range n.steps {
		s := v.benchClone()
		c.steps[k] = &s
	}
	return &c
}

func (s seenSet) benchClone() seenSet {
	s.order = slices.Clone(s.order)
	s.tags = slices.Clone(s.tags)
	s.index = maps.Clone(s.index)
	return s
}
