package normalizetest

import (
	"fmt"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
)

// rank is each event type's place in the lifecycle; an event never follows
// one of a higher rank. Warnings fall where they fall and have none.
var rank = map[schemas.Type]int{
	schemas.TypeUploading:           0,
	schemas.TypeUploadProgress:      1, // interleaves with the uploads: see progressError
	schemas.TypeUploadFinished:      1,
	schemas.TypeExecuting:           3,
	schemas.TypeReplaying:           3,
	schemas.TypeUploadMetaExtracted: 4,
	schemas.TypeExecutionProgress:   5,
	schemas.TypeStepResult:          5,
	schemas.TypeCompleted:           6,
	schemas.TypeFailed:              6,
	schemas.TypeCanceled:            6,
	schemas.TypeAborted:             6,
	schemas.TypeWatchExpired:        6,
	schemas.TypeWatchFailed:         6,
}

// mayLackState are the events whose state may be empty.
var mayLackState = map[schemas.Type]bool{schemas.TypeFailed: true, schemas.TypeWatchExpired: true, schemas.TypeWatchFailed: true}

func orderError(evs []*schemas.Event) error {
	high, highAt := -1, -1
	var finished int64 // sizes of the uploads announced so far
	for i, ev := range evs {
		switch d := ev.Data.(type) {
		case *schemas.UploadFinished:
			finished += d.Upload.Size
		case *schemas.UploadProgress:
			// Progress is about the bytes of an upload still in flight.
			if d.BytesReceived <= finished {
				return fmt.Errorf("upload.progress at %d reports %d bytes, all of uploads already finished (%d bytes)", i, d.BytesReceived, finished)
			}
		}
		if b := ev.Base(); b != nil && b.State == "" && !mayLackState[ev.Type] {
			return fmt.Errorf("%s at %d has no state", ev.Type, i)
		}
		r, ok := rank[ev.Type]
		if !ok {
			continue
		}
		if r < high && !streamLateUpload(ev) {
			return fmt.Errorf("%s at %d after %s at %d", ev.Type, i, evs[highAt].Type, highAt)
		}
		if r > high {
			high, highAt = r, i
		}
	}
	return nil
}

// streamLateUpload is the documented exception: Transloadit's stream may
// announce an upload, or the metadata notice, after execution started.
func streamLateUpload(ev *schemas.Event) bool {
	b := ev.Base()
	late := ev.Type == schemas.TypeUploadFinished || ev.Type == schemas.TypeUploadMetaExtracted
	return late && b != nil && b.Source == schemas.SourceSSE
}

// filesInOrder checks that uploads come in the final status's upload
// order and each Step's results in its result order.
func filesInOrder(final *transloadit.Status, evs []*schemas.Event) error {
	want := map[string][]string{}
	for _, u := range final.Uploads {
		want[""] = append(want[""], u.ID)
	}
	for _, step := range final.Results.Steps() {
		for _, r := range final.Results.Get(step) {
			want["step "+step] = append(want["step "+step], r.ID)
		}
	}
	got := map[string][]string{}
	for _, ev := range evs {
		switch d := ev.Data.(type) {
		case *schemas.UploadFinished:
			got[""] = append(got[""], d.Upload.ID)
		case *schemas.StepResult:
			got["step "+d.Step] = append(got["step "+d.Step], d.Result.ID)
		}
	}
	for k, ids := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(ids) {
			what := "uploads"
			if k != "" {
				what = k + " results"
			}
			return fmt.Errorf("%s in order %v; want %v", what, got[k], ids)
		}
	}
	return nil
}
