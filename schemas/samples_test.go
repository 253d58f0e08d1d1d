package schemas_test

import (
	"encoding/json"
	"time"

	"github.com/tlbridge/tlbridge/schemas"
)

const sampleID = "2b7beaddf0a046e2ada603346f2cbee1"

var sampleAt = time.Date(2024, 8, 28, 13, 26, 57, 250_000_000, time.UTC)

func sampleBase(state string) schemas.Base {
	return schemas.Base{AssemblyID: sampleID, State: state, Source: schemas.SourcePoll, ObservedAt: sampleAt}
}

func sampleFile() schemas.File {
	return schemas.File{
		ID: "8197cd2434784ec4b63340c6a06169eb", Name: "both-anthems.png", Basename: "both-anthems",
		Ext: "png", Size: 12224, Mime: "image/png", Type: "image", Field: "file",
		OriginalID: "e48cdd96971c4485976bce09cbc32a78",
		SSLURL:     "https://tmp-eu-west-1.transloadit.net/x/8197.png?a=1&b=2",
		Meta:       json.RawMessage(`{"width":1364,"height":410}`),
		Extra:      map[string]json.RawMessage{"queue": json.RawMessage(`"live"`), "exec_time": json.RawMessage(`0.4`)},
	}
}

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }

// samplePayloads has one payload of every type.
func samplePayloads() map[schemas.Type]schemas.Payload {
	summary := schemas.Summary{Uploads: 2, Results: 2, Steps: []schemas.StepSummary{{Name: "waveformed", Results: 2}},
		UploadDuration: f64(1.5), ExecutionDuration: f64(2.25)}
	replay := sampleBase("ASSEMBLY_REPLAYING")
	replay.ParentID = "7828446e5acd4aa996dce3455ec914e9"
	return map[schemas.Type]schemas.Payload{
		schemas.TypeUploading:           &schemas.Uploading{Base: sampleBase("ASSEMBLY_UPLOADING")},
		schemas.TypeUploadProgress:      &schemas.UploadProgress{Base: sampleBase("ASSEMBLY_UPLOADING"), BytesReceived: 10, BytesExpected: i64(20)},
		schemas.TypeUploadFinished:      &schemas.UploadFinished{Base: sampleBase("ASSEMBLY_UPLOADING"), Upload: sampleFile()},
		schemas.TypeUploadMetaExtracted: &schemas.UploadMetaExtracted{Base: sampleBase("ASSEMBLY_UPLOADING"), Uploads: 2},
		schemas.TypeExecuting:           &schemas.Executing{Base: sampleBase("ASSEMBLY_EXECUTING")},
		schemas.TypeReplaying:           &schemas.Replaying{Base: replay},
		schemas.TypeExecutionProgress: &schemas.ExecutionProgress{Base: sampleBase("ASSEMBLY_EXECUTING"), ProgressCombined: 50,
			PerFile: []schemas.FileProgress{{OriginalID: "e48c", Progress: 100}}},
		schemas.TypeStepResult:    &schemas.StepResult{Base: sampleBase("ASSEMBLY_EXECUTING"), Step: "my step.v2", Result: sampleFile()},
		schemas.TypeWarning:       &schemas.Warning{Base: sampleBase("ASSEMBLY_EXECUTING"), Index: 0, Level: "notice", Msg: "a notice"},
		schemas.TypeCompleted:     &schemas.Completed{Base: sampleBase("ASSEMBLY_COMPLETED"), Message: "done", Summary: summary},
		schemas.TypeFailed:        &schemas.Failed{Base: sampleBase(""), Error: "ASSEMBLY_CRASHED", Message: "m", Reason: "r", SystemError: &schemas.SystemError{Errno: -2, Code: "ENOENT", Syscall: "open", Path: "/x"}, Summary: summary},
		schemas.TypeCanceled:      &schemas.Canceled{Base: sampleBase("ASSEMBLY_CANCELED"), Summary: summary},
		schemas.TypeAborted:       &schemas.Aborted{Base: sampleBase("REQUEST_ABORTED"), Summary: schemas.Summary{Steps: []schemas.StepSummary{}}},
		schemas.TypeWatchExpired:  &schemas.WatchExpired{Base: schemas.Base{AssemblyID: sampleID, Source: schemas.SourceBridge, ObservedAt: sampleAt}, Reason: "expired", Detail: "ttl"},
		schemas.TypeWatchFailed:   &schemas.WatchFailed{Base: schemas.Base{AssemblyID: sampleID, Source: schemas.SourceBridge, ObservedAt: sampleAt}, Reason: "failed"},
		schemas.TypeWatchCanceled: &schemas.WatchCanceled{Base: schemas.Base{AssemblyID: sampleID, State: "ASSEMBLY_EXECUTING", Source: schemas.SourceBridge, ObservedAt: sampleAt}, RequestedBy: "tlbridge/b 127.0.0.1"},
	}
}

func sampleEvent(t schemas.Type, p schemas.Payload) schemas.Event {
	step := ""
	if r, ok := p.(*schemas.StepResult); ok {
		step = r.Step
	}
	return schemas.NewEvent(t, sampleID+"/"+string(t), "tlbridge/test",
		schemas.Subject("", sampleID, t, step), sampleAt, p)
}
