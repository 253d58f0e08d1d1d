package schemas

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// Every payload type must say how large it gets and how it shrinks, or an
// oversized event of that type would be encoded in full and refused.
func TestEveryPayloadShrinks(t *testing.T) {
	for typ, newData := range newData {
		if _, ok := newData().(shrinker); !ok {
			t.Errorf("payload of %s does not implement shrinker", typ)
		}
	}
}

// The bound that lets Shrink skip encoding is never below the real size,
// whatever the strings hold.
func TestSizeBoundHolds(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	// Control bytes and quotes escape the most; upstream strings come from
	// JSON, so they are valid UTF-8.
	alphabet := []rune("\x00\x01\x1f\"\\<>&aZ9.%~ é€😀\u2028")
	text := func() string {
		rs := make([]rune, r.IntN(40))
		for i := range rs {
			rs[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(rs)
	}
	file := func() File {
		return File{ID: text(), Name: text(), URL: text(), OriginalPath: text(), Size: r.Int64(),
			Meta: json.RawMessage(`{"w":1}`), Extra: map[string]json.RawMessage{text(): json.RawMessage(`{"a":[1,2,3]}`)}}
	}
	summary := func() Summary {
		return Summary{Uploads: 2, Results: 3, Steps: []StepSummary{{Name: text(), Results: 3}}}
	}
	for range 100 {
		payloads := map[Type]Payload{
			TypeUploadFinished:    &UploadFinished{Upload: file()},
			TypeStepResult:        &StepResult{Step: text(), Result: file()},
			TypeExecutionProgress: &ExecutionProgress{ProgressCombined: 33.333333333333336, PerFile: []FileProgress{{OriginalID: text(), Progress: 1e-7}}},
			TypeWarning:           &Warning{Index: 1, Level: text(), Msg: text()},
			TypeCompleted:         &Completed{Message: text(), Summary: summary()},
			TypeCanceled:          &Canceled{Message: text(), Summary: summary()},
			TypeAborted:           &Aborted{Message: text(), Summary: summary()},
			TypeFailed: &Failed{Error: text(), Message: text(), Reason: text(), Summary: summary(),
				SystemError: &SystemError{Errno: -2, Code: text(), Syscall: text(), Path: text()}},
			TypeWatchExpired:  &WatchExpired{Reason: text(), Detail: text()},
			TypeWatchFailed:   &WatchFailed{Reason: text(), Detail: text()},
			TypeWatchCanceled: &WatchCanceled{RequestedBy: text(), Detail: text()},
		}
		for typ, p := range payloads {
			b := p.BaseData()
			b.AssemblyID, b.State, b.Source, b.ParentID = text(), text(), text(), text()
			ev := NewEvent(typ, "id/"+text(), "tlbridge/"+text(), Subject("p", "a1", typ, "s"), time.Unix(1, 5), p)
			enc, err := Encode(ev)
			if err != nil {
				t.Fatal(err)
			}
			if bound := ev.sizeBound(); bound < len(enc) {
				t.Fatalf("sizeBound = %d < %d for %s", bound, len(enc), enc)
			}
		}
	}
}
