package normalize

import (
	"strconv"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/stream"
)

// GiveUpReason says why the bridge abandons a watch: [GiveUpExpired]
// yields watch.expired, any other reason watch.failed.
type GiveUpReason string

// Reasons for [Normalizer.GiveUp].
const (
	GiveUpExpired GiveUpReason = "expired"
	GiveUpFailed  GiveUpReason = "failed"
)

const (
	// defaultSource is the CloudEvents source when none is configured.
	defaultSource = "tlbridge"
	// progressInterval is the least time between two progress events
	// of one Assembly, by observation time.
	progressInterval = time.Second
	// headerRoom is what an event leaves of MaxPayload for the message
	// headers besides Nats-Msg-Id (whose value, the event ID, is counted
	// separately): Content-Type and the header framing.
	headerRoom = 256
)

// Config configures a [Normalizer].
type Config struct {
	// AssemblyID is the Assembly observed. Statuses of other Assemblies
	// are ignored.
	AssemblyID string
	// Prefix is the subject prefix; if empty, schemas.DefaultPrefix.
	Prefix string
	// Source is the events' CloudEvents source, e.g. "tlbridge/<instance>";
	// if empty, "tlbridge".
	Source string
	// MaxPayload is the largest message the NATS server accepts (its
	// max_payload); if <= 0, 1 MiB. An event that would not fit with its
	// headers is shrunk (see schemas.Base.Truncated).
	MaxPayload int
}

// Observation is one thing learned about an Assembly: a [StatusObservation]
// or an [UpdateObservation]. The set is closed.
type Observation interface {
	apply(n *Normalizer) []schemas.Event
}

// StatusObservation is a full Assembly status, from the poller or a
// notification.
type StatusObservation struct {
	// Source is schemas.SourcePoll or schemas.SourceNotify; if empty,
	// SourcePoll.
	Source string
	// At is when it was observed; it becomes the events' time.
	At     time.Time
	Status *transloadit.Status
}

// UpdateObservation is one update from the Assembly's SSE stream.
type UpdateObservation struct {
	// At is when it was observed; it becomes the events' time. If zero,
	// Update.ReceivedAt is used.
	At     time.Time
	Update *stream.Update
}

// Normalizer turns the observations of one Assembly — full statuses and
// SSE updates in any mix, with duplicates and gaps — into the ordered list
// of v1 events they imply, each exactly once.
//
// Guarantees:
//   - Every upload and every result is emitted exactly once, whether it is
//     first seen in the stream or in a status. Uploads are identified by
//     id, results by (step, id); a result without an id is identified by
//     its index in the status's array ("~<index>" in the event ID), and one
//     without an id from the stream is left to the next status.
//   - Lifecycle events are emitted once each and never out of order, even
//     when observations skip states. The events of one observation follow
//     the lifecycle, whatever its source: uploading; upload.progress
//     (only while uploading); each new upload.finished in upload order;
//     executing or replaying; upload.meta_extracted; execution.progress;
//     each new step.result (Steps in upstream order, results in array
//     order); each new warning; the terminal event. A replay opens with
//     replaying instead (it uploads nothing). Across observations, an
//     event is never emitted after its moment: no upload.progress once
//     executing is out or for bytes the announced uploads account for,
//     and no replaying after executing (a replay first seen executing
//     without parent_id stays opened by executing). The one exception is
//     the stream itself announcing an upload, or the metadata notice,
//     after execution started or after a result, which real Transloadit
//     streams do; those events carry source "sse".
//   - Every non-terminal event carries in data.state the state of its
//     moment: ASSEMBLY_UPLOADING until execution opens, then
//     ASSEMBLY_EXECUTING (ASSEMBLY_REPLAYING for a replay). The terminal
//     event carries the ok of the status that ended the Assembly (empty
//     for a failure without one); watch.expired and watch.failed the
//     furthest state observed.
//   - The terminal event (completed, failed, canceled, aborted, or
//     watch.expired / watch.failed from GiveUp) is emitted once and is
//     the last event: after it Observe and GiveUp return nothing.
//   - Progress events (upload.progress, execution.progress) are coalesced:
//     at most one per progressInterval, only when the value grew past the
//     last one emitted, and never after the terminal event. A reading
//     inside the window is held, the latest replacing the older, and
//     [Normalizer.FlushProgress] emits it when the window closes (the
//     worker calls it at [Normalizer.ProgressDue]), so no reading is lost
//     to the timing of its arrival.
//   - Event IDs are the idempotency keys of the catalogue and depend only
//     on the observations, so replaying the same observations (after a
//     restart) yields the same IDs, and JetStream drops the duplicates.
//
// What the stream alone never causes: assembly_finished emits nothing (the
// worker fetches the final status, which carries every result, and that
// status emits completed); assembly_error emits failed only when its
// payload is a full status of this Assembly with a terminal error, since
// a bare {"error", "message"} may be spurious (e.g. after
// assembly_finished, which makes any later assembly_error ignored) — the
// worker confirms with a status fetch. Rate-limit and not-found bodies are
// about the request, not the Assembly, and are ignored too.
//
// State is compact: counts, flags and the sets of seen upload and result
// IDs; no status is kept. Diffing a status costs O(new entries): per
// Step only the entries past those already verified are examined, unless
// the array no longer starts and ends that verified prefix as before
// (reordered or shrunk), in which case it is rescanned against the seen
// set.
//
// A Normalizer is not safe for concurrent use; one goroutine (the
// Assembly's worker) owns it.
type Normalizer struct {
	cfg Config

	state        transloadit.State // furthest state observed
	parentID     string
	sent         phases // lifecycle events already emitted
	finishedSeen bool   // the stream said assembly_finished
	done         bool   // the terminal event was emitted

	uploads   seenSet
	steps     map[string]*seenSet
	stepOrder []string
	warnings  int

	progressSent  bool
	progressAt    time.Time
	held          *heldProgress // the latest reading inside the window
	bytesSent     int64
	bytesFinished int64 // sizes of the uploads announced
	metaMissing   bool  // an upload was announced without meta
	combinedSent  float64

	// scanned counts status array entries examined; tests use it to show
	// that a diff costs O(new).
	scanned int
}

type phases struct{ uploading, executing, replaying, meta bool }

// New returns a Normalizer for one Assembly.
func New(cfg Config) *Normalizer {
	if cfg.Prefix == "" {
		cfg.Prefix = schemas.DefaultPrefix
	}
	if cfg.Source == "" {
		cfg.Source = defaultSource
	}
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = schemas.DefaultMaxPayload
	}
	return &Normalizer{cfg: cfg, steps: make(map[string]*seenSet)}
}

// Done reports whether the terminal event was emitted; nothing follows it.
func (n *Normalizer) Done() bool { return n.done }

// Observe applies one observation and returns the new events it implies,
// in order; nil when there are none.
func (n *Normalizer) Observe(o Observation) []schemas.Event {
	if n.done || o == nil {
		return nil
	}
	return o.apply(n)
}

func (o StatusObservation) apply(n *Normalizer) []schemas.Event {
	if o.Status == nil {
		return nil
	}
	b := &batch{n: n, at: o.At.UTC(), source: sourceOr(o.Source, schemas.SourcePoll)}
	n.observeStatus(b, o.Status)
	return b.events
}

func (o UpdateObservation) apply(n *Normalizer) []schemas.Event {
	if o.Update == nil {
		return nil
	}
	at := o.At
	if at.IsZero() {
		at = o.Update.ReceivedAt
	}
	b := &batch{n: n, at: at.UTC(), source: schemas.SourceSSE}
	n.observeUpdate(b, o.Update)
	return b.events
}

// GiveUp returns the event that ends a watch the bridge abandons:
// watch.expired for GiveUpExpired, watch.failed for any other reason.
// After the terminal event it returns nil; after it, nothing follows.
func (n *Normalizer) GiveUp(reason GiveUpReason, at time.Time, detail string) []schemas.Event {
	if n.done {
		return nil
	}
	b := &batch{n: n, at: at.UTC(), source: schemas.SourceBridge, state: string(n.state)}
	key := "watch/" + schemas.EscapeToken(string(reason))
	if reason == GiveUpExpired {
		b.emit(schemas.TypeWatchExpired, key, "", &schemas.WatchExpired{Reason: string(reason), Detail: detail})
	} else {
		b.emit(schemas.TypeWatchFailed, key, "", &schemas.WatchFailed{Reason: string(reason), Detail: detail})
	}
	n.done = true
	return b.events
}

func sourceOr(given, fallback string) string {
	if given == "" {
		return fallback
	}
	return given
}

// observeStatus diffs a full status against what was emitted. It is the
// only place terminal Assembly events come from.
func (n *Normalizer) observeStatus(b *batch, st *transloadit.Status) {
	if st.AssemblyID != "" && st.AssemblyID != n.cfg.AssemblyID {
		return
	}
	outcome := st.Outcome()
	if outcome == transloadit.OutcomeRateLimited || transloadit.IsNotFoundCode(st.Error) {
		return
	}
	if st.ParentID != "" {
		n.parentID = st.ParentID
	}
	n.advance(st.OK)
	executed := n.executed(st, outcome)
	if st.OK == transloadit.StateReplaying || n.replay() && executed {
		// A replay uploads nothing: replaying opens its events.
		n.ensureExecution(b, true)
	}
	n.ensureUploading(b)
	if outcome == transloadit.OutcomeRunning {
		n.uploadProgress(b, st)
	}
	n.uploads.diff(st.Uploads, &n.scanned, func(key string, f *transloadit.File) {
		n.emitUpload(b, key, f)
	})
	if executed {
		n.ensureExecution(b, false)
	}
	if st.UploadMetaDataExtracted {
		// After executing: upstream's stream sends the metadata notice
		// after assembly_uploading_finished, and every source agrees.
		n.ensureMeta(b)
	}
	for _, step := range st.Results.Steps() {
		n.diffResults(b, step, st.Results.Get(step))
	}
	for i := n.warnings; i < len(st.Warnings); i++ {
		w := st.Warnings[i]
		b.emit(schemas.TypeWarning, "warning/"+strconv.Itoa(i), "", &schemas.Warning{Index: i, Level: w.Level, Msg: w.Msg})
	}
	n.warnings = max(n.warnings, len(st.Warnings))
	if outcome.Terminal() {
		b.state = string(st.OK)
		n.terminal(b, st, outcome)
	}
}

// executed reports whether the status shows the Assembly got past
// uploading: executing or completed, or ended after it started executing.
func (n *Normalizer) executed(st *transloadit.Status, o transloadit.Outcome) bool {
	switch {
	case st.OK == transloadit.StateExecuting, o == transloadit.OutcomeCompleted:
		return true
	case o.Terminal():
		return st.ExecutionStart != "" || st.Results.Count() > 0
	}
	return false
}

func (n *Normalizer) diffResults(b *batch, step string, files []transloadit.File) {
	seen := n.step(step)
	seen.diff(files, &n.scanned, func(key string, f *transloadit.File) {
		n.emitResult(b, step, key, f)
	})
}

// KnowsResult reports whether the result of step with this id was
// emitted already, so that a status need not carry it in full: the next
// diff skips it by key alone. It agrees with fileKey, and knows no result
// without an id, whose key is its index.
func (n *Normalizer) KnowsResult(step, id string) bool {
	s, ok := n.steps[step]
	if !ok || id == "" {
		return false
	}
	return s.has(schemas.EscapeToken(id))
}

func (n *Normalizer) step(name string) *seenSet {
	s, ok := n.steps[name]
	if !ok {
		s = &seenSet{}
		n.steps[name] = s
		n.stepOrder = append(n.stepOrder, name)
	}
	return s
}

// UploadsLackMeta reports whether an upload was announced without its
// meta, which a status fetched after upstream's metadata notice has.
func (n *Normalizer) UploadsLackMeta() bool { return n.metaMissing }

func (n *Normalizer) emitUpload(b *batch, key string, f *transloadit.File) {
	n.bytesFinished += max(f.Size, 0)
	n.metaMissing = n.metaMissing || noMeta(f.Meta)
	b.emit(schemas.TypeUploadFinished, "upload/"+key, "", &schemas.UploadFinished{Upload: publicFile(f)})
}

func (n *Normalizer) emitResult(b *batch, step, key string, f *transloadit.File) {
	n.ensureExecution(b, false)
	b.emit(schemas.TypeStepResult, "result/"+schemas.StepToken(step)+"/"+key, step,
		&schemas.StepResult{Step: step, Result: publicFile(f)})
}
