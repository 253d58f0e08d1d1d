package normalize

import (
	"encoding/json"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/stream"
)

// stateRank orders states: nothing, uploading, executing or replaying,
// anything else (terminal).
func stateRank(s transloadit.State) int {
	switch s {
	case "":
		return 0
	case transloadit.StateUploading:
		return 1
	case transloadit.StateExecuting, transloadit.StateReplaying:
		return 2
	}
	return 3
}

// advance moves the known state forward, never back (a lagging status
// must not undo what the stream said).
func (n *Normalizer) advance(s transloadit.State) {
	if stateRank(s) >= stateRank(n.state) && s != "" {
		n.state = s
	}
}

func (n *Normalizer) replay() bool {
	return n.parentID != "" || n.sent.replaying
}

// executionOpen reports whether executing or replaying was emitted: the
// events that follow belong to the execution phase.
func (n *Normalizer) executionOpen() bool { return n.sent.executing || n.sent.replaying }

// phaseState is the data.state of a non-terminal event emitted now: the
// state of the phase the events have reached, whatever state the status
// read was in. Before execution opens that is ASSEMBLY_UPLOADING; after,
// ASSEMBLY_REPLAYING for a replay and ASSEMBLY_EXECUTING otherwise.
func (n *Normalizer) phaseState() transloadit.State {
	switch {
	case !n.executionOpen():
		return transloadit.StateUploading
	case n.sent.replaying || n.state == transloadit.StateReplaying:
		return transloadit.StateReplaying
	}
	return transloadit.StateExecuting
}

// ensureUploading emits uploading first, unless the Assembly is a replay
// (which does not upload) or it was emitted already.
func (n *Normalizer) ensureUploading(b *batch) {
	if n.sent.uploading || n.replay() {
		return
	}
	n.sent.uploading = true
	b.emit(schemas.TypeUploading, "uploading", "", &schemas.Uploading{})
}

// ensureExecution emits the event that opens the execution phase, once:
// replaying for a replay (or when replaying is forced), executing
// otherwise. Once either is out the phase is open, so a replay first seen
// as executing (no parent_id yet) never gets replaying after executing.
func (n *Normalizer) ensureExecution(b *batch, replaying bool) {
	switch {
	case n.executionOpen():
	case replaying || n.replay():
		n.sent.replaying = true
		b.emit(schemas.TypeReplaying, "replaying", "", &schemas.Replaying{})
	default:
		n.sent.executing = true
		b.emit(schemas.TypeExecuting, "executing", "", &schemas.Executing{})
	}
}

func (n *Normalizer) ensureMeta(b *batch) {
	if n.sent.meta {
		return
	}
	n.sent.meta = true
	b.emit(schemas.TypeUploadMetaExtracted, "meta", "", &schemas.UploadMetaExtracted{Uploads: n.uploads.len()})
}

// progressDue reports whether a progress event may be emitted at b.at.
func (n *Normalizer) progressDue(b *batch) bool {
	return !n.progressSent || b.at.Sub(n.progressAt) >= progressInterval
}

func (n *Normalizer) markProgress(b *batch) {
	n.progressSent = true
	n.progressAt = b.at
}

// uploadProgress reports the status's bytes_received while uploading.
// Bytes that the uploads already announced account for say nothing new:
// that progress would come after its upload.finished.
func (n *Normalizer) uploadProgress(b *batch, st *transloadit.Status) {
	d := &schemas.UploadProgress{BytesReceived: st.BytesReceived}
	if st.BytesExpected != nil {
		v := *st.BytesExpected
		d.BytesExpected = &v
	}
	n.offerProgress(b, progressValue{upload: d})
}

// uploadProgressFresh reports whether bytes received still say something
// new at this moment of the lifecycle.
func (n *Normalizer) uploadProgressFresh(received int64) bool {
	return n.state == transloadit.StateUploading && !n.executionOpen() &&
		received > max(n.bytesSent, n.bytesFinished)
}

func (n *Normalizer) executionProgress(b *batch, p *stream.Progress) {
	if p.Combined == nil {
		return
	}
	d := &schemas.ExecutionProgress{ProgressCombined: *p.Combined}
	for _, f := range p.PerFile {
		d.PerFile = append(d.PerFile, schemas.FileProgress{OriginalID: f.OriginalID, Progress: f.Progress})
	}
	n.offerProgress(b, progressValue{exec: d})
}

// terminal emits the Assembly's outcome and closes the event stream.
func (n *Normalizer) terminal(b *batch, st *transloadit.Status, o transloadit.Outcome) {
	sum := n.summary(st)
	switch o {
	case transloadit.OutcomeCompleted:
		b.emit(schemas.TypeCompleted, "completed", "", &schemas.Completed{Message: st.Message, Summary: sum})
	case transloadit.OutcomeCanceled:
		b.emit(schemas.TypeCanceled, "canceled", "", &schemas.Canceled{Message: st.Message, Summary: sum})
	case transloadit.OutcomeAborted:
		b.emit(schemas.TypeAborted, "aborted", "", &schemas.Aborted{Message: st.Message, Summary: sum})
	default:
		b.emit(schemas.TypeFailed, "failed", "", &schemas.Failed{
			Error: st.Error, Message: st.Message, Reason: st.Reason, SystemError: systemError(st), Summary: sum,
		})
	}
	n.done = true
}

func (n *Normalizer) summary(st *transloadit.Status) schemas.Summary {
	s := schemas.Summary{Uploads: n.uploads.len(), Steps: make([]schemas.StepSummary, 0, len(n.stepOrder))}
	for _, name := range n.stepOrder {
		results := n.steps[name].len()
		s.Results += results
		s.Steps = append(s.Steps, schemas.StepSummary{Name: name, Results: results})
	}
	if st.UploadDuration != nil {
		v := *st.UploadDuration
		s.UploadDuration = &v
	}
	if st.ExecutionDuration != nil {
		v := *st.ExecutionDuration
		s.ExecutionDuration = &v
	}
	return s
}

func systemError(st *transloadit.Status) *schemas.SystemError {
	if !st.IsSystemError() {
		return nil
	}
	se := &schemas.SystemError{Errno: *st.Errno, Code: st.Code, Syscall: st.Syscall}
	if raw, ok := st.Extra["path"]; ok {
		_ = json.Unmarshal(raw, &se.Path) // a path that is not a string is left out
	}
	return se
}
