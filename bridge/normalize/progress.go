package normalize

import (
	"strconv"
	"time"

	"github.com/tlbridge/tlbridge/schemas"
)

// progressValue is one progress reading: of the uploads or of the
// execution.
type progressValue struct {
	upload *schemas.UploadProgress
	exec   *schemas.ExecutionProgress
}

// heldProgress is the latest progress reading that came inside the
// window after the last progress event: it is published when the window
// closes (see [Normalizer.FlushProgress]) unless its moment passed.
type heldProgress struct {
	value  progressValue
	at     time.Time
	source string
}

// fresh reports whether v still says something new now.
func (n *Normalizer) fresh(v progressValue) bool {
	if v.upload != nil {
		return n.uploadProgressFresh(v.upload.BytesReceived)
	}
	return v.exec.ProgressCombined > n.combinedSent
}

// offerProgress emits a fresh reading when the window allows, and holds
// it otherwise, replacing an older one: the latest value is never lost
// to the timing of its arrival.
func (n *Normalizer) offerProgress(b *batch, v progressValue) {
	if !n.fresh(v) {
		return
	}
	if !n.progressDue(b) {
		n.held = &heldProgress{value: v, at: b.at, source: b.source}
		return
	}
	n.emitProgress(b, v)
}

func (n *Normalizer) emitProgress(b *batch, v progressValue) {
	n.held = nil
	n.markProgress(b)
	if v.upload != nil {
		n.bytesSent = v.upload.BytesReceived
		b.emit(schemas.TypeUploadProgress, "upload.progress/"+strconv.FormatInt(v.upload.BytesReceived, 10), "", v.upload)
		return
	}
	n.combinedSent = v.exec.ProgressCombined
	b.emit(schemas.TypeExecutionProgress, "progress/"+strconv.FormatFloat(v.exec.ProgressCombined, 'f', -1, 64), "", v.exec)
}

// ProgressDue reports when a held progress reading may be published:
// when the window after the last progress event closes. ok is false when
// none is held.
func (n *Normalizer) ProgressDue() (due time.Time, ok bool) {
	if n.held == nil || n.done {
		return time.Time{}, false
	}
	return n.progressAt.Add(progressInterval), true
}

// FlushProgress publishes the held progress reading once its window has
// closed at now: the latest value, with the time it was observed. It
// returns nothing when none is held, the window is still open, or the
// reading's moment passed meanwhile (the uploads finished, a later value
// went out, the Assembly ended).
func (n *Normalizer) FlushProgress(now time.Time) []schemas.Event {
	due, ok := n.ProgressDue()
	if !ok || now.Before(due) {
		return nil
	}
	h := n.held
	n.held = nil
	if !n.fresh(h.value) {
		return nil
	}
	b := &batch{n: n, at: h.at, source: h.source}
	n.emitProgress(b, h.value)
	// The next window opens now, not at the reading's time: progress
	// events stay at least progressInterval apart.
	n.progressAt = due
	return b.events
}
