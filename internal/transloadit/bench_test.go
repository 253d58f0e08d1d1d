package transloadit

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// BenchmarkDecodeStatus measures DecodeStatus on the documented example,
// which is indented, and on a compact status with 1,000 results, the
// size a poller decodes on every poll of a large Assembly.
func BenchmarkDecodeStatus(b *testing.B) {
	seed, err := os.ReadFile("testdata/seed-status.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		body []byte
	}{
		{"seed", seed},
		{"1000results", withResults(b, seed, 1000)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeStatus(bc.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeStatusKnown measures DecodeStatusKnown on the status with
// 1,000 results when none of them is known, and when all are, as for the
// status a watcher fetches after the stream brought every result.
func BenchmarkDecodeStatusKnown(b *testing.B) {
	seed, err := os.ReadFile("testdata/seed-status.json")
	if err != nil {
		b.Fatal(err)
	}
	body := withResults(b, seed, 1000)
	for _, bc := range []struct {
		name  string
		known bool
	}{
		{"1000results/none-known", false},
		{"1000results/all-known", true},
	} {
		known := func(string, string) bool { return bc.known }
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeStatusKnown(body, known); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// withResults returns seed with its results replaced by n copies of its
// first result, each with its own id, over two Steps.
func withResults(tb testing.TB, seed []byte, n int) []byte {
	tb.Helper()
	st, err := DecodeStatus(seed)
	if err != nil {
		tb.Fatal(err)
	}
	proto := st.Results.Get(st.Results.Steps()[0])[0]
	var res Results
	for i := range n {
		f := proto
		f.ID = fmt.Sprintf("%032x", i)
		res.Append([]string{"thumbs", "exported"}[i%2], f)
	}
	st.Results = res
	body, err := json.Marshal(st)
	if err != nil {
		tb.Fatal(err)
	}
	return body
}
