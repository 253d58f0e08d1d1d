package poller

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// statusWithResults returns the seed status grown to n results over two
// Steps, each a copy of the seed's first result with its own id.
func statusWithResults(tb testing.TB, n int) []byte {
	tb.Helper()
	raw, err := os.ReadFile("../internal/transloadit/testdata/seed-status.json")
	if err != nil {
		tb.Fatal(err)
	}
	st, err := transloadit.DecodeStatus(raw)
	if err != nil {
		tb.Fatal(err)
	}
	proto := st.Results.Get(st.Results.Steps()[0])[0]
	var res transloadit.Results
	for i := 0; i < n; i++ {
		f := proto
		f.ID = fmt.Sprintf("%032x", i)
		res.Append([]string{"thumbs", "exported"}[i%2], f)
	}
	st.Results = res
	b, err := json.Marshal(st)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkDecodeStatus1000Results measures judging and decoding one
// status answer with 1,000 results, as Fetch does for every poll.
func BenchmarkDecodeStatus1000Results(b *testing.B) {
	body := statusWithResults(b, 1000)
	id := "7828446e5acd4aa996dce3455ec914e9"
	hint := func(float64) time.Duration { return 0 }
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		v := classify(200, body, Target{AssemblyID: id}, false, hint)
		if v.kind != kindStatus || v.st.Results.Count() != 1000 {
			b.Fatalf("classify = %v, %v; want a status with 1000 results", v.kind, v.err)
		}
	}
}
