package stream

import (
	"strconv"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Kind tells what an update from the stream says.
type Kind int

// The kinds of update. Names are the upstream message or event names.
const (
	// KindUnknown is a message or event this package does not know; Name
	// and Raw carry it as received.
	KindUnknown Kind = iota
	// KindUploadFinished: event assembly_upload_finished; Upload is set.
	KindUploadFinished
	// KindResultFinished: event assembly_result_finished; Step and Result are set.
	KindResultFinished
	// KindExecutionProgress: event assembly_execution_progress; Progress is set.
	KindExecutionProgress
	// KindAssemblyError: event assembly_error; Error is set (Error.Error may
	// be empty when the payload was not JSON; Raw has it). A payload that is
	// a JSON string becomes Error.Message; one that is not JSON at all also
	// becomes Error.Message, and Err is set. The Assembly has failed either
	// way, so this kind is never downgraded to KindUnknown.
	KindAssemblyError
	// KindUploadingFinished: message assembly_uploading_finished.
	KindUploadingFinished
	// KindMetaDataExtracted: message assembly_upload_meta_data_extracted.
	KindMetaDataExtracted
	// KindAssemblyFinished: message assembly_finished; the server closes the
	// stream after it.
	KindAssemblyFinished
)

var kindNames = [...]string{
	KindUnknown:           "unknown",
	KindUploadFinished:    EvUploadFinished,
	KindResultFinished:    EvResultFinished,
	KindExecutionProgress: EvExecutionProgress,
	KindAssemblyError:     EvAssemblyError,
	KindUploadingFinished: MsgUploadingFinished,
	KindMetaDataExtracted: MsgMetaDataExtracted,
	KindAssemblyFinished:  MsgAssemblyFinished,
}

// String returns the upstream name of the kind, or "unknown".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// Upstream names of the messages (payload-less, sent as "data: <name>").
const (
	MsgUploadingFinished = "assembly_uploading_finished"
	MsgMetaDataExtracted = "assembly_upload_meta_data_extracted"
	MsgAssemblyFinished  = "assembly_finished"
)

// Upstream names of the events (sent as "event: <name>" + "data: <json>").
const (
	EvUploadFinished    = "assembly_upload_finished"
	EvResultFinished    = "assembly_result_finished"
	EvExecutionProgress = "assembly_execution_progress"
	EvAssemblyError     = "assembly_error"
)

// Update is one message or event read from an Assembly's update stream.
type Update struct {
	Kind Kind
	// Name is the upstream message or event name.
	Name string
	// Raw is the frame's data as received (the JSON payload of an event,
	// the name of a message).
	Raw []byte
	// ReceivedAt is when the frame was read, by the client's clock.
	ReceivedAt time.Time
	// Err is non-nil when the frame named a known event whose payload did
	// not decode; it wraps [ErrMalformedEvent]. Such a frame is delivered,
	// never dropped: as KindUnknown with Name and Raw intact, so that a
	// known Kind always comes with its payload field set. The one exception
	// is assembly_error, which keeps KindAssemblyError (see [KindAssemblyError]).
	Err error

	Upload   *transloadit.File   // KindUploadFinished
	Step     string              // KindResultFinished
	Result   *transloadit.File   // KindResultFinished
	Progress *Progress           // KindExecutionProgress
	Error    *transloadit.Status // KindAssemblyError
}

// Progress is the payload of assembly_execution_progress.
type Progress struct {
	// Combined is progress_combined (0-100); nil when absent.
	Combined *float64       `json:"progress_combined,omitempty"`
	PerFile  []FileProgress `json:"progress_per_original_file,omitempty"`
}

// FileProgress is one item of progress_per_original_file.
type FileProgress struct {
	OriginalID string  `json:"original_id"`
	Progress   float64 `json:"progress"`
}
