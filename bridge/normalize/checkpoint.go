package normalize

import (
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Checkpoint is what a [Normalizer] has emitted, in a form that survives
// the process: a Normalizer restored from it emits only what is new. It is
// a plain value that encodes to JSON; its fields are exported for that,
// not for editing.
type Checkpoint struct {
	// State is the furthest state observed (the "ok" value).
	State string `json:"state,omitempty"`
	// ParentID is the Assembly this one replays, if any.
	ParentID string `json:"parent_id,omitempty"`
	// Phases are the lifecycle events already emitted.
	Uploading bool `json:"uploading,omitempty"`
	Executing bool `json:"executing,omitempty"`
	Replaying bool `json:"replaying,omitempty"`
	Meta      bool `json:"meta,omitempty"`
	// FinishedSeen: the stream said assembly_finished.
	FinishedSeen bool `json:"finished_seen,omitempty"`
	// Done: the terminal event was emitted.
	Done bool `json:"done,omitempty"`
	// Uploads are the keys of the uploads emitted.
	Uploads []string `json:"uploads,omitempty"`
	// Steps are the Steps seen, in upstream order, with the keys of the
	// results emitted for each.
	Steps []StepCheckpoint `json:"steps,omitempty"`
	// Warnings is the number of warnings emitted.
	Warnings int `json:"warnings,omitempty"`
	// BytesFinished is the size of the uploads emitted: upload progress
	// at or below it has nothing new to say.
	BytesFinished int64 `json:"bytes_finished,omitempty"`
	// MetaMissing: an upload was emitted without its meta, so the
	// metadata notice is worth a status fetch.
	MetaMissing bool `json:"meta_missing,omitempty"`
	// The progress high-water marks and when the last progress event was
	// observed.
	BytesSent    int64     `json:"bytes_sent,omitempty"`
	CombinedSent float64   `json:"combined_sent,omitempty"`
	ProgressAt   time.Time `json:"progress_at,omitzero"`
}

// StepCheckpoint is one Step's share of a [Checkpoint].
type StepCheckpoint struct {
	Name    string   `json:"name"`
	Results []string `json:"results,omitempty"`
}

// Checkpoint returns what n has emitted so far. The caller stores it only
// once the events it covers are delivered: a Normalizer restored from it
// never emits them again.
func (n *Normalizer) Checkpoint() Checkpoint {
	c := Checkpoint{
		State: string(n.state), ParentID: n.parentID,
		Uploading: n.sent.uploading, Executing: n.sent.executing, Replaying: n.sent.replaying, Meta: n.sent.meta,
		FinishedSeen: n.finishedSeen, Done: n.done,
		Uploads: n.uploads.orderedKeys(), Warnings: n.warnings,
		BytesSent: n.bytesSent, BytesFinished: n.bytesFinished, MetaMissing: n.metaMissing, CombinedSent: n.combinedSent,
	}
	if n.progressSent {
		c.ProgressAt = n.progressAt
	}
	for _, name := range n.stepOrder {
		c.Steps = append(c.Steps, StepCheckpoint{Name: name, Results: n.steps[name].orderedKeys()})
	}
	return c
}

// Restore makes n continue from c, as if it had emitted what c covers.
// It is meant for a fresh Normalizer, before the first Observe.
func (n *Normalizer) Restore(c Checkpoint) {
	n.state = transloadit.State(c.State)
	n.parentID = c.ParentID
	n.sent = phases{uploading: c.Uploading, executing: c.Executing, replaying: c.Replaying, meta: c.Meta}
	n.finishedSeen, n.done = c.FinishedSeen, c.Done
	n.uploads = restoredSet(c.Uploads)
	n.steps, n.stepOrder = make(map[string]*seenSet), nil
	for _, s := range c.Steps {
		set := restoredSet(s.Results)
		n.steps[s.Name] = &set
		n.stepOrder = append(n.stepOrder, s.Name)
	}
	n.warnings = c.Warnings
	n.bytesSent, n.bytesFinished, n.combinedSent = c.BytesSent, c.BytesFinished, c.CombinedSent
	n.metaMissing = c.MetaMissing
	n.progressSent, n.progressAt = !c.ProgressAt.IsZero(), c.ProgressAt
}

// restoredSet holds keys with no verified prefix: the next diff examines
// every entry against them.
func restoredSet(keys []string) seenSet {
	var s seenSet
	for _, k := range keys {
		s.add(k)
	}
	return s
}

// orderedKeys returns the keys in the order they were added. The set
// only appends, so the slice, capped at its length, stays valid: a
// checkpoint shares it instead of copying and sorting every key on every
// write.
func (s *seenSet) orderedKeys() []string {
	return s.order[:len(s.order):len(s.order)]
}
