package normalizetest

import (
	"fmt"
	"sort"
	"testing"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
)

// CheckOrder asserts that evs, one Assembly's events in the order
// received, follow the lifecycle order of the catalogue: uploading;
// upload.progress and upload.finished; executing or replaying;
// upload.meta_extracted; execution.progress and step.result; the terminal
// event; warnings anywhere before the terminal event. No event comes
// after its moment: no upload.progress after executing or for bytes the
// uploads already announced account for, no replaying after executing.
// The one exception is the stream's own: an upload.finished or
// upload.meta_extracted learned from the stream may come late. Every
// event but failed and watch.* carries a state.
func CheckOrder(t testing.TB, evs []*schemas.Event) {
	t.Helper()
	if err := orderError(evs); err != nil {
		t.Errorf("%v\nevents:\n%s", err, describe(evs))
	}
}

// CheckLifecycle asserts that evs, the events one Assembly's subscriber
// received in order, are exactly what the Assembly's final status implies:
// every upload and every result once, lifecycle order, one terminal event
// of the right type, last, and every subject where the catalogue says.
func CheckLifecycle(t testing.TB, prefix string, final *transloadit.Status, evs []*schemas.Event) {
	t.Helper()
	if err := lifecycleError(prefix, final, evs); err != nil {
		t.Errorf("assembly %s: %v\nevents:\n%s", final.AssemblyID, err, describe(evs))
	}
}

func lifecycleError(prefix string, final *transloadit.Status, evs []*schemas.Event) error {
	if len(evs) == 0 {
		return fmt.Errorf("no events")
	}
	if err := uniqueIDs(evs); err != nil {
		return err
	}
	if err := terminalLast(final, evs); err != nil {
		return err
	}
	if err := sameFiles(final, evs); err != nil {
		return err
	}
	if err := filesInOrder(final, evs); err != nil {
		return err
	}
	if err := subjectsMatch(prefix, evs); err != nil {
		return err
	}
	return lifecycleOrder(evs)
}

func uniqueIDs(evs []*schemas.Event) error {
	seen := map[string]bool{}
	for _, ev := range evs {
		if seen[ev.ID] {
			return fmt.Errorf("event %s delivered twice", ev.ID)
		}
		seen[ev.ID] = true
	}
	return nil
}

// wantTerminal maps a final status to its terminal event type.
func wantTerminal(final *transloadit.Status) schemas.Type {
	switch final.Outcome() {
	case transloadit.OutcomeCompleted:
		return schemas.TypeCompleted
	case transloadit.OutcomeCanceled:
		return schemas.TypeCanceled
	case transloadit.OutcomeAborted:
		return schemas.TypeAborted
	}
	return schemas.TypeFailed
}

func terminalLast(final *transloadit.Status, evs []*schemas.Event) error {
	for i, ev := range evs[:len(evs)-1] {
		if ev.Type.Terminal() {
			return fmt.Errorf("terminal event %s at %d of %d", ev.Type, i, len(evs))
		}
	}
	last := evs[len(evs)-1].Type
	if want := wantTerminal(final); last != want {
		return fmt.Errorf("last event is %s; want %s", last, want)
	}
	return nil
}

// sameFiles compares the uploads and results announced with the final
// status's, as sets of (step, file id).
func sameFiles(final *transloadit.Status, evs []*schemas.Event) error {
	var want, got []string
	for _, u := range final.Uploads {
		want = append(want, "upload/"+u.ID)
	}
	for _, step := range final.Results.Steps() {
		for _, r := range final.Results.Get(step) {
			want = append(want, "result/"+step+"/"+r.ID)
		}
	}
	for _, ev := range evs {
		switch d := ev.Data.(type) {
		case *schemas.UploadFinished:
			got = append(got, "upload/"+d.Upload.ID)
		case *schemas.StepResult:
			got = append(got, "result/"+d.Step+"/"+d.Result.ID)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return fmt.Errorf("files announced %v; want %v", got, want)
	}
	return nil
}

func subjectsMatch(prefix string, evs []*schemas.Event) error {
	for _, ev := range evs {
		b := ev.Base()
		if b == nil {
			return fmt.Errorf("event %s has no typed data", ev.ID)
		}
		step := ""
		if r, ok := ev.Data.(*schemas.StepResult); ok {
			step = r.Step
		}
		if want := schemas.Subject(prefix, b.AssemblyID, ev.Type, step); ev.Subject != want {
			return fmt.Errorf("event %s on subject %q; want %q", ev.ID, ev.Subject, want)
		}
	}
	return nil
}

// lifecycleOrder checks the order the catalogue guarantees (see
// [CheckOrder]) and that there is at most one of each phase event.
func lifecycleOrder(evs []*schemas.Event) error {
	count := map[schemas.Type]int{}
	for _, ev := range evs {
		count[ev.Type]++
	}
	for _, t := range []schemas.Type{schemas.TypeUploading, schemas.TypeExecuting, schemas.TypeReplaying, schemas.TypeUploadMetaExtracted} {
		if count[t] > 1 {
			return fmt.Errorf("%s emitted %d times", t, count[t])
		}
	}
	if count[schemas.TypeExecuting]+count[schemas.TypeReplaying] > 1 {
		return fmt.Errorf("both executing and replaying")
	}
	return orderError(evs)
}

func describe(evs []*schemas.Event) string {
	s := ""
	for i, ev := range evs {
		s += fmt.Sprintf("  %2d %-22s %s\n", i, ev.Type, ev.ID)
	}
	return s
}
