package normalize

import (
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/stream"
)

// observeUpdate applies one SSE update.
func (n *Normalizer) observeUpdate(b *batch, u *stream.Update) {
	switch u.Kind {
	case stream.KindUploadFinished:
		if u.Upload == nil || u.Upload.ID == "" {
			return
		}
		n.advance(transloadit.StateUploading)
		n.ensureUploading(b)
		key := schemas.EscapeToken(u.Upload.ID)
		if n.uploads.add(key) {
			n.emitUpload(b, key, u.Upload)
		}
	case stream.KindUploadingFinished:
		n.startExecutionSSE(b)
	case stream.KindMetaDataExtracted:
		n.advance(transloadit.StateUploading)
		n.ensureUploading(b)
		n.ensureMeta(b)
	case stream.KindResultFinished:
		if u.Result == nil || u.Result.ID == "" {
			return
		}
		n.startExecutionSSE(b)
		key := schemas.EscapeToken(u.Result.ID)
		if n.step(u.Step).add(key) {
			n.emitResult(b, u.Step, key, u.Result)
		}
	case stream.KindExecutionProgress:
		if u.Progress == nil {
			return
		}
		n.startExecutionSSE(b)
		n.executionProgress(b, u.Progress)
	case stream.KindAssemblyFinished:
		n.finishedSeen = true
	case stream.KindAssemblyError:
		if !n.finishedSeen && n.fullErrorStatus(u.Error) {
			n.observeStatus(b, u.Error)
		}
	}
}

// fullErrorStatus reports whether an assembly_error payload is a whole
// status of this Assembly with a terminal failure, trustworthy without a
// confirming fetch.
func (n *Normalizer) fullErrorStatus(st *transloadit.Status) bool {
	return st != nil && st.AssemblyID == n.cfg.AssemblyID &&
		st.Outcome() == transloadit.OutcomeFailed && !transloadit.IsNotFoundCode(st.Error)
}

// startExecutionSSE records what a stream update implies: the Assembly is
// executing.
func (n *Normalizer) startExecutionSSE(b *batch) {
	n.advance(transloadit.StateExecuting)
	n.ensureUploading(b)
	n.ensureExecution(b, false)
}
