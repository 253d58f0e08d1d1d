package normalize

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

const knownID = "7828446e5acd4aa996dce3455ec914e9"

// knownBody is a status whose Step s has the first n of its results,
// among them ids that need escaping and one without an id.
func knownBody(state string, n int) []byte {
	ids := []string{"a.b", "", "c d~1", "plain", "é", "last"}
	results := ""
	for i, id := range ids[:n] {
		if i > 0 {
			results += ","
		}
		if id == "" {
			results += `{"name":"noid"}`
			continue
		}
		results += fmt.Sprintf(`{"id":%q,"name":"f%d","size":%d}`, id, i, i+1)
	}
	return fmt.Appendf(nil, `{"ok":%q,"assembly_id":%q,"execution_start":"2020/01/09 12:02:08 GMT","results":{"s":[%s]}}`,
		state, knownID, results)
}

// TestKnowsResultAgreesWithDiff: a status decoded with KnowsResult gives
// the same events as the status decoded in full, and KnowsResult knows
// exactly the results with an id that the normalizer emitted.
func TestKnowsResultAgreesWithDiff(t *testing.T) {
	full, skim := New(Config{AssemblyID: knownID}), New(Config{AssemblyID: knownID})
	at := time.Date(2020, 1, 9, 12, 2, 8, 0, time.UTC)
	for i, body := range [][]byte{
		knownBody("ASSEMBLY_EXECUTING", 3),
		knownBody("ASSEMBLY_EXECUTING", 5),
		knownBody("ASSEMBLY_COMPLETED", 6),
	} {
		want, err := transloadit.DecodeStatus(body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := transloadit.DecodeStatusKnown(body, skim.KnowsResult)
		if err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Second)
		wantEvs := full.Observe(StatusObservation{At: at, Status: want})
		gotEvs := skim.Observe(StatusObservation{At: at, Status: got})
		a, _ := json.Marshal(wantEvs)
		b, _ := json.Marshal(gotEvs)
		if string(a) != string(b) {
			t.Errorf("status %d: events\n%s\nwant\n%s", i, b, a)
		}
		if i > 0 && reflect.DeepEqual(got.Results, want.Results) {
			t.Errorf("status %d: no result was left undecoded", i)
		}
	}
	for _, tc := range []struct {
		step, id string
		want     bool
	}{
		{"s", "a.b", true},
		{"s", "c d~1", true},
		{"s", "é", true},
		{"s", "last", true},
		{"s", "", false},
		{"s", "~1", false},
		{"s", "other", false},
		{"t", "a.b", false},
	} {
		if got := skim.KnowsResult(tc.step, tc.id); got != tc.want {
			t.Errorf("KnowsResult(%q, %q) = %v; want %v", tc.step, tc.id, got, tc.want)
		}
	}
}
