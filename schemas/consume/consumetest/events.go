package consumetest

import (
	"fmt"
	"time"

	"github.com/tlbridge/tlbridge/schemas"
)

// at is the time of every made-up event; tests compare what they read,
// not when.
var at = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Event returns a v1 event of type t about Assembly id, as the bridge
// would publish it, with data of that type: step names its Step for a
// step result (and its file "<step>.jpg"), n tells events of one type
// apart (part of the ID).
func Event(t schemas.Type, id, step string, n int) schemas.Event {
	base := schemas.Base{AssemblyID: id, State: "ASSEMBLY_EXECUTING", Source: schemas.SourcePoll, ObservedAt: at}
	var data schemas.Payload
	switch t {
	case schemas.TypeStepResult:
		data = &schemas.StepResult{Base: base, Step: step, Result: schemas.File{ID: fmt.Sprint(n), Name: step + ".jpg", Size: 1024}}
	case schemas.TypeCompleted:
		base.State = "ASSEMBLY_COMPLETED"
		data = &schemas.Completed{Base: base, Summary: schemas.Summary{Steps: []schemas.StepSummary{}}}
	case schemas.TypeUploading:
		base.State = "ASSEMBLY_UPLOADING"
		data = &schemas.Uploading{Base: base}
	case schemas.TypeExecuting:
		data = &schemas.Executing{Base: base}
	default:
		panic("consumetest: Event of " + string(t) + " is not implemented")
	}
	evID := fmt.Sprintf("%s/%s/%s/%d", id, t, step, n)
	return schemas.NewEvent(t, evID, "tlbridge/consumetest", schemas.Subject("", id, t, step), at, data)
}
