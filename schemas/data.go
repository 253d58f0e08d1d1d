package schemas

import "time"

// The values of Base.Source: where the bridge learned what the event says.
const (
	SourceSSE    = "sse"    // the Assembly's update stream
	SourcePoll   = "poll"   // a status fetched from the API
	SourceNotify = "notify" // a Transloadit notification (webhook)
	SourceBridge = "bridge" // the bridge itself (watch.expired, watch.failed, watch.canceled)
)

// Base is what the data of every event carries. Every payload type embeds it.
type Base struct {
	// AssemblyID is the Assembly the event is about.
	AssemblyID string `json:"assembly_id"`
	// State is the Assembly's state at the event's moment, however late
	// the bridge learned of it: ASSEMBLY_UPLOADING for uploading and the
	// upload events before execution opened; ASSEMBLY_EXECUTING (or
	// ASSEMBLY_REPLAYING for a replay) for executing, replaying and every
	// event after them; the final status's ok for completed, canceled,
	// aborted and failed. It is never empty, except on failed (upstream
	// often gives "ok": null with an error) and on watch.expired and
	// watch.failed (the furthest state observed, empty when the Assembly
	// was never seen).
	State string `json:"state"`
	// Source is one of SourceSSE, SourcePoll, SourceNotify, SourceBridge.
	Source string `json:"source"`
	// ObservedAt is when the bridge observed what the event says; the
	// envelope's time is the same instant.
	ObservedAt time.Time `json:"observed_at"`
	// ParentID is set when the Assembly is a replay of another.
	ParentID string `json:"parent_id,omitempty"`
	// Truncated is set when the event was shrunk to fit the message size
	// limit: a file's meta (and, if that was not enough, its other
	// members but the basic ones) or long text was dropped. Fetch the
	// Assembly status for the full picture.
	Truncated bool `json:"truncated,omitempty"`
}

// BaseData returns b; through embedding, it gives the common fields of any
// payload (see [Payload]).
func (b *Base) BaseData() *Base { return b }

// Payload is implemented by every payload type of this package (through
// [Base]). Event.Data of a decoded event of an unknown type is not one.
type Payload interface {
	BaseData() *Base
}

// Uploading is the data of TypeUploading.
type Uploading struct {
	Base
}

// UploadProgress is the data of TypeUploadProgress.
type UploadProgress struct {
	Base
	BytesReceived int64 `json:"bytes_received"`
	// BytesExpected is nil when upstream does not know it yet.
	BytesExpected *int64 `json:"bytes_expected,omitempty"`
}

// UploadFinished is the data of TypeUploadFinished.
type UploadFinished struct {
	Base
	// Upload is the upload's file object as upstream sent it.
	Upload File `json:"upload"`
}

// UploadMetaExtracted is the data of TypeUploadMetaExtracted.
type UploadMetaExtracted struct {
	Base
	// Uploads is the number of uploads announced so far.
	Uploads int `json:"uploads"`
}

// Executing is the data of TypeExecuting.
type Executing struct {
	Base
}

// Replaying is the data of TypeReplaying; Base.ParentID links the original
// Assembly when upstream names it.
type Replaying struct {
	Base
}

// ExecutionProgress is the data of TypeExecutionProgress.
type ExecutionProgress struct {
	Base
	// ProgressCombined is progress_combined, 0 to 100.
	ProgressCombined float64 `json:"progress_combined"`
	// PerFile is progress_per_original_file.
	PerFile []FileProgress `json:"progress_per_original_file,omitempty"`
}

// FileProgress is one item of ExecutionProgress.PerFile.
type FileProgress struct {
	OriginalID string  `json:"original_id"`
	Progress   float64 `json:"progress"`
}

// StepResult is the data of TypeStepResult.
type StepResult struct {
	Base
	// Step is the Step's name, raw and whole (the subject carries it
	// escaped, or hashed when long: see [StepToken]).
	Step string `json:"step"`
	// Result is the result's file object as upstream sent it.
	Result File `json:"result"`
}

// Warning is the data of TypeWarning.
type Warning struct {
	Base
	// Index is the warning's position in the Assembly's warnings.
	Index int    `json:"index"`
	Level string `json:"level,omitempty"`
	Msg   string `json:"msg,omitempty"`
}

// Summary is what a terminal event says about the whole Assembly: counts,
// never the files themselves.
type Summary struct {
	// Uploads is the number of uploads announced.
	Uploads int `json:"uploads"`
	// Results is the number of results announced over all Steps.
	Results int `json:"results"`
	// Steps lists each Step seen, in upstream order, with its result count.
	Steps []StepSummary `json:"steps"`
	// UploadDuration and ExecutionDuration are upstream's, in seconds,
	// when the final status has them.
	UploadDuration    *float64 `json:"upload_duration,omitempty"`
	ExecutionDuration *float64 `json:"execution_duration,omitempty"`
}

// StepSummary is one Step of a Summary.
type StepSummary struct {
	Name    string `json:"name"`
	Results int    `json:"results"`
}

// Completed is the data of TypeCompleted.
type Completed struct {
	Base
	Message string  `json:"message,omitempty"`
	Summary Summary `json:"summary"`
}

// Failed is the data of TypeFailed. Error is the upstream error code; it
// is empty when the Assembly failed with the system-error shape (then
// SystemError is set) or reached an "ok" value this catalogue does not
// know (then Base.State has it).
type Failed struct {
	Base
	Error       string       `json:"error,omitempty"`
	Message     string       `json:"message,omitempty"`
	Reason      string       `json:"reason,omitempty"`
	SystemError *SystemError `json:"system_error,omitempty"`
	Summary     Summary      `json:"summary"`
}

// SystemError is the errno/code/syscall shape some failed statuses have
// instead of an error code.
type SystemError struct {
	Errno   int64  `json:"errno"`
	Code    string `json:"code"`
	Syscall string `json:"syscall"`
	Path    string `json:"path,omitempty"`
}

// Canceled is the data of TypeCanceled.
type Canceled struct {
	Base
	Message string  `json:"message,omitempty"`
	Summary Summary `json:"summary"`
}

// Aborted is the data of TypeAborted.
type Aborted struct {
	Base
	Message string  `json:"message,omitempty"`
	Summary Summary `json:"summary"`
}

// WatchExpired is the data of TypeWatchExpired.
type WatchExpired struct {
	Base
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// WatchFailed is the data of TypeWatchFailed.
type WatchFailed struct {
	Base
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// WatchCanceled is the data of TypeWatchCanceled.
type WatchCanceled struct {
	Base
	// RequestedBy says who asked: the bridge instance that took the
	// request and, when known, the client's address.
	RequestedBy string `json:"requested_by"`
	Detail      string `json:"detail,omitempty"`
}

// newData makes the zero payload of each type, for Decode.
var newData = map[Type]func() Payload{
	TypeUploading:           func() Payload { return new(Uploading) },
	TypeUploadProgress:      func() Payload { return new(UploadProgress) },
	TypeUploadFinished:      func() Payload { return new(UploadFinished) },
	TypeUploadMetaExtracted: func() Payload { return new(UploadMetaExtracted) },
	TypeExecuting:           func() Payload { return new(Executing) },
	TypeReplaying:           func() Payload { return new(Replaying) },
	TypeExecutionProgress:   func() Payload { return new(ExecutionProgress) },
	TypeStepResult:          func() Payload { return new(StepResult) },
	TypeWarning:             func() Payload { return new(Warning) },
	TypeCompleted:           func() Payload { return new(Completed) },
	TypeFailed:              func() Payload { return new(Failed) },
	TypeCanceled:            func() Payload { return new(Canceled) },
	TypeAborted:             func() Payload { return new(Aborted) },
	TypeWatchExpired:        func() Payload { return new(WatchExpired) },
	TypeWatchFailed:         func() Payload { return new(WatchFailed) },
	TypeWatchCanceled:       func() Payload { return new(WatchCanceled) },
}
