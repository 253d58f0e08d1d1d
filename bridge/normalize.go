package bridge

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/stream"
)

// Reasons for [Normalizer.GiveUp]. GiveUpExpired yields watch.expired; any
// other reason yields watch.failed.
const (
	GiveUpExpired = "expired"
	GiveUpFailed  = "failed"
)

const (
	// normDefaultMaxPayload is the NATS server's default max_payload.
	normDefaultMaxPayload = 1 << 20
	// normDefaultSource is the CloudEvents source when none is configured.
	normDefaultSource = "tlbridge"
	// normProgressInterval is the least time between two progress events
	// of one Assembly, by observation time.
	normProgressInterval = time.Second
	// normHeaderRoom is what an event leaves of MaxPayload for the message
	// headers besides Nats-Msg-Id (whose value, the event ID, is counted
	// separately): Content-Type and the header framing.
	normHeaderRoom = 256
)

// NormalizerConfig configures a [Normalizer].
type NormalizerConfig struct {
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

// Observation is one thing learned about an Assembly: a full status (from
// the poller or a notification) or one update from its SSE stream.
type Observation struct {
	// Source is "sse", "poll" or "notify"; if empty, "poll" for a Status
	// and "sse" for an Update.
	Source string
	// At is when it was observed; it becomes the events' time. If zero,
	// Update.ReceivedAt is used.
	At time.Time
	// Status is a full Assembly status, or nil.
	Status *transloadit.Status
	// Update is an SSE update, or nil. When both are set, Status is
	// applied first.
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
//     when observations skip states. Within one status the order is
//     uppy's diff order: uploading, executing (or replaying), each new
//     upload.finished, upload.progress, upload.meta_extracted, each new
//     step.result (Steps in upstream order, results in array order), each
//     new warning, then the terminal event. Any result or execution
//     progress implies executing, so executing always precedes them; an
//     upload may still finish after executing, as the real stream shows.
//   - The terminal event (completed, failed, canceled, aborted, or
//     watch.expired / watch.failed from GiveUp) is emitted once and is
//     the last event: after it Observe and GiveUp return nothing.
//   - Progress events (upload.progress, execution.progress) are coalesced:
//     at most one per normProgressInterval of observation time, only when
//     the value grew past the last one emitted, and never after the
//     terminal event.
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
	cfg NormalizerConfig

	state        transloadit.State // furthest state observed
	parentID     string
	sent         normPhases // lifecycle events already emitted
	finishedSeen bool       // the stream said assembly_finished
	done         bool       // the terminal event was emitted

	uploads   normSeen
	steps     map[string]*normSeen
	stepOrder []string
	results   int
	warnings  int

	progressSent bool
	progressAt   time.Time
	bytesSent    int64
	combinedSent float64

	// scanned counts status array entries examined; tests use it to show
	// that a diff costs O(new).
	scanned int
}

type normPhases struct{ uploading, executing, replaying, meta bool }

// NewNormalizer returns a Normalizer for one Assembly.
func NewNormalizer(cfg NormalizerConfig) *Normalizer {
	if cfg.Prefix == "" {
		cfg.Prefix = schemas.DefaultPrefix
	}
	if cfg.Source == "" {
		cfg.Source = normDefaultSource
	}
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = normDefaultMaxPayload
	}
	return &Normalizer{cfg: cfg, steps: make(map[string]*normSeen)}
}

// Done reports whether the terminal event was emitted; nothing follows it.
func (n *Normalizer) Done() bool { return n.done }

// Observe applies one observation and returns the new events it implies,
// in order; nil when there are none.
func (n *Normalizer) Observe(o Observation) []schemas.Event {
	if n.done {
		return nil
	}
	at := o.At
	if at.IsZero() && o.Update != nil {
		at = o.Update.ReceivedAt
	}
	b := &normBatch{n: n, at: at.UTC()}
	if o.Status != nil {
		b.source = normSource(o.Source, schemas.SourcePoll)
		n.observeStatus(b, o.Status)
	}
	if o.Update != nil && !n.done {
		b.source = normSource(o.Source, schemas.SourceSSE)
		n.observeUpdate(b, o.Update)
	}
	return b.events
}

// GiveUp returns the event that ends a watch the bridge abandons:
// watch.expired for GiveUpExpired, watch.failed for any other reason.
// After the terminal event it returns nil; after it, nothing follows.
func (n *Normalizer) GiveUp(reason string, at time.Time, detail string) []schemas.Event {
	if n.done {
		return nil
	}
	b := &normBatch{n: n, at: at.UTC(), source: schemas.SourceBridge, state: string(n.state)}
	key := "watch/" + schemas.EscapeToken(reason)
	if reason == GiveUpExpired {
		b.emit(schemas.TypeWatchExpired, key, "", &schemas.WatchExpired{Reason: reason, Detail: detail})
	} else {
		b.emit(schemas.TypeWatchFailed, key, "", &schemas.WatchFailed{Reason: reason, Detail: detail})
	}
	n.done = true
	return b.events
}

func normSource(given, fallback string) string {
	if given == "" {
		return fallback
	}
	return given
}

// observeStatus diffs a full status against what was emitted. It is the
// only place terminal Assembly events come from.
func (n *Normalizer) observeStatus(b *normBatch, st *transloadit.Status) {
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
	b.state = string(st.OK)
	if outcome == transloadit.OutcomeRunning {
		// A lagging status (a poll answered by a node behind the stream)
		// must not take the state back.
		b.state = string(n.state)
	}
	if st.OK == transloadit.StateReplaying {
		n.ensureExecution(b, true)
	}
	n.ensureUploading(b)
	if n.executed(st, outcome) {
		n.ensureExecution(b, false)
	}
	n.uploads.diff(st.Uploads, &n.scanned, func(key string, f *transloadit.File) {
		b.emit(schemas.TypeUploadFinished, "upload/"+key, "", &schemas.UploadFinished{Upload: normFile(f)})
	})
	if n.state == transloadit.StateUploading && outcome == transloadit.OutcomeRunning {
		n.uploadProgress(b, st)
	}
	if st.UploadMetaDataExtracted {
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

func (n *Normalizer) diffResults(b *normBatch, step string, files []transloadit.File) {
	seen := n.step(step)
	seen.diff(files, &n.scanned, func(key string, f *transloadit.File) {
		n.emitResult(b, step, key, f)
	})
}

func (n *Normalizer) step(name string) *normSeen {
	s, ok := n.steps[name]
	if !ok {
		s = &normSeen{}
		n.steps[name] = s
		n.stepOrder = append(n.stepOrder, name)
	}
	return s
}

func (n *Normalizer) emitResult(b *normBatch, step, key string, f *transloadit.File) {
	n.ensureExecution(b, false)
	n.results++
	b.emit(schemas.TypeStepResult, "result/"+schemas.EscapeToken(step)+"/"+key, step,
		&schemas.StepResult{Step: step, Result: normFile(f)})
}

// observeUpdate applies one SSE update.
func (n *Normalizer) observeUpdate(b *normBatch, u *stream.Update) {
	switch u.Kind {
	case stream.KindUploadFinished:
		if u.Upload == nil || u.Upload.ID == "" {
			return
		}
		n.advance(transloadit.StateUploading)
		b.state = string(n.state)
		n.ensureUploading(b)
		key := schemas.EscapeToken(u.Upload.ID)
		if n.uploads.add(key) {
			b.emit(schemas.TypeUploadFinished, "upload/"+key, "", &schemas.UploadFinished{Upload: normFile(u.Upload)})
		}
	case stream.KindUploadingFinished:
		n.startExecutionSSE(b)
	case stream.KindMetaDataExtracted:
		n.advance(transloadit.StateUploading)
		b.state = string(n.state)
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
func (n *Normalizer) startExecutionSSE(b *normBatch) {
	n.advance(transloadit.StateExecuting)
	b.state = string(n.state)
	n.ensureUploading(b)
	n.ensureExecution(b, false)
}

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

// ensureUploading emits uploading first, unless the Assembly is a replay
// (which does not upload) or it was emitted already.
func (n *Normalizer) ensureUploading(b *normBatch) {
	if n.sent.uploading || n.replay() {
		return
	}
	n.sent.uploading = true
	b.emit(schemas.TypeUploading, "uploading", "", &schemas.Uploading{})
}

// ensureExecution emits the event that opens the execution phase once:
// replaying for a replay (or when replaying is forced), executing
// otherwise.
func (n *Normalizer) ensureExecution(b *normBatch, replaying bool) {
	if replaying || n.replay() {
		if !n.sent.replaying {
			n.sent.replaying = true
			b.emit(schemas.TypeReplaying, "replaying", "", &schemas.Replaying{})
		}
		return
	}
	if !n.sent.executing {
		n.sent.executing = true
		b.emit(schemas.TypeExecuting, "executing", "", &schemas.Executing{})
	}
}

func (n *Normalizer) ensureMeta(b *normBatch) {
	if n.sent.meta {
		return
	}
	n.sent.meta = true
	b.emit(schemas.TypeUploadMetaExtracted, "meta", "", &schemas.UploadMetaExtracted{Uploads: n.uploads.len()})
}

// progressDue reports whether a progress event may be emitted at b.at.
func (n *Normalizer) progressDue(b *normBatch) bool {
	return !n.progressSent || b.at.Sub(n.progressAt) >= normProgressInterval
}

func (n *Normalizer) markProgress(b *normBatch) {
	n.progressSent = true
	n.progressAt = b.at
}

func (n *Normalizer) uploadProgress(b *normBatch, st *transloadit.Status) {
	if st.BytesReceived <= n.bytesSent || !n.progressDue(b) {
		return
	}
	n.bytesSent = st.BytesReceived
	n.markProgress(b)
	d := &schemas.UploadProgress{BytesReceived: st.BytesReceived}
	if st.BytesExpected != nil {
		v := *st.BytesExpected
		d.BytesExpected = &v
	}
	b.emit(schemas.TypeUploadProgress, "upload.progress/"+strconv.FormatInt(st.BytesReceived, 10), "", d)
}

func (n *Normalizer) executionProgress(b *normBatch, p *stream.Progress) {
	if p.Combined == nil || *p.Combined <= n.combinedSent || !n.progressDue(b) {
		return
	}
	n.combinedSent = *p.Combined
	n.markProgress(b)
	d := &schemas.ExecutionProgress{ProgressCombined: *p.Combined}
	for _, f := range p.PerFile {
		d.PerFile = append(d.PerFile, schemas.FileProgress{OriginalID: f.OriginalID, Progress: f.Progress})
	}
	b.emit(schemas.TypeExecutionProgress, "progress/"+strconv.FormatFloat(*p.Combined, 'f', -1, 64), "", d)
}

// terminal emits the Assembly's outcome and closes the event stream.
func (n *Normalizer) terminal(b *normBatch, st *transloadit.Status, o transloadit.Outcome) {
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
			Error: st.Error, Message: st.Message, Reason: st.Reason, SystemError: normSystemError(st), Summary: sum,
		})
	}
	n.done = true
}

func (n *Normalizer) summary(st *transloadit.Status) schemas.Summary {
	s := schemas.Summary{Uploads: n.uploads.len(), Results: n.results, Steps: make([]schemas.StepSummary, 0, len(n.stepOrder))}
	for _, name := range n.stepOrder {
		s.Steps = append(s.Steps, schemas.StepSummary{Name: name, Results: n.steps[name].len()})
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

func normSystemError(st *transloadit.Status) *schemas.SystemError {
	if !st.IsSystemError() {
		return nil
	}
	se := &schemas.SystemError{Errno: *st.Errno, Code: st.Code, Syscall: st.Syscall}
	if raw, ok := st.Extra["path"]; ok {
		_ = json.Unmarshal(raw, &se.Path) // a path that is not a string is left out
	}
	return se
}

// normFile converts an upstream file object. Meta, Extra and their
// contents are shared with f, never modified (shrinking copies first).
func normFile(f *transloadit.File) schemas.File {
	return schemas.File{
		ID: f.ID, Name: f.Name, Basename: f.Basename, Ext: f.Ext, Size: f.Size, Mime: f.Mime,
		Type: f.Type, Field: f.Field, MD5Hash: f.MD5Hash, OriginalID: f.OriginalID,
		OriginalBasename: f.OriginalBasename, OriginalName: f.OriginalName, OriginalPath: f.OriginalPath,
		OriginalMD5Hash: f.OriginalMD5Hash, FromBatchImport: f.FromBatchImport, IsTusFile: f.IsTusFile,
		TusUploadURL: f.TusUploadURL, URL: f.URL, SSLURL: f.SSLURL, Meta: f.Meta, Extra: f.Extra,
	}
}

// normSeen tracks one upstream array (the uploads, or one Step's results):
// the keys of the entries emitted, and how much of the array the last
// status showed, so the next diff can start past it.
type normSeen struct {
	keys     map[string]struct{}
	verified int    // entries of the last status's array, all emitted
	first    string // key of entry 0 of that array
	last     string // key of entry verified-1
}

func (s *normSeen) len() int { return len(s.keys) }

// add records key and reports whether it was new.
func (s *normSeen) add(key string) bool {
	if _, ok := s.keys[key]; ok {
		return false
	}
	if s.keys == nil {
		s.keys = make(map[string]struct{})
	}
	s.keys[key] = struct{}{}
	return true
}

// diff calls emit, in array order, for each entry not seen before. Upstream
// only appends, so it examines the entries past the verified prefix; if
// the array no longer starts and ends that prefix as before, it falls back
// to examining every entry against the seen keys.
func (s *normSeen) diff(files []transloadit.File, scanned *int, emit func(key string, f *transloadit.File)) {
	start := s.verified
	if start > len(files) || start > 0 && (normFileKey(files, 0) != s.first || normFileKey(files, start-1) != s.last) {
		start = 0
	}
	for i := start; i < len(files); i++ {
		*scanned++
		key := normFileKey(files, i)
		if s.add(key) {
			emit(key, &files[i])
		}
	}
	s.verified = len(files)
	s.first, s.last = "", ""
	if len(files) > 0 {
		s.first, s.last = normFileKey(files, 0), normFileKey(files, len(files)-1)
	}
}

// normFileKey is the identity of files[i] in event IDs: its id, escaped, or
// "~<i>" when it has none ("~" is always escaped in ids, so the two never
// collide).
func normFileKey(files []transloadit.File, i int) string {
	if id := files[i].ID; id != "" {
		return schemas.EscapeToken(id)
	}
	return "~" + strconv.Itoa(i)
}

// normBatch collects the events of one observation.
type normBatch struct {
	n      *Normalizer
	at     time.Time
	source string
	state  string
	events []schemas.Event
}

// emit appends an event; key is its idempotency key after "<assembly id>/".
func (b *normBatch) emit(t schemas.Type, key, step string, data schemas.Payload) {
	n := b.n
	base := data.BaseData()
	base.AssemblyID = n.cfg.AssemblyID
	base.State = b.state
	base.Source = b.source
	base.ObservedAt = b.at
	base.ParentID = n.parentID
	ev := schemas.NewEvent(t, n.cfg.AssemblyID+"/"+key, n.cfg.Source,
		schemas.Subject(n.cfg.Prefix, n.cfg.AssemblyID, t, step), b.at, data)
	n.fit(&ev)
	b.events = append(b.events, ev)
}

// fit shrinks ev step by step until it fits MaxPayload with its headers,
// marking it truncated. An event that cannot shrink enough is left as
// small as it got; publishing it will fail and say why.
func (n *Normalizer) fit(ev *schemas.Event) {
	limit := n.cfg.MaxPayload - len(ev.ID) - normHeaderRoom
	if normBound(ev) <= limit {
		return // the common case, decided without encoding
	}
	steps := normReducers(ev.Data)
	for i := 0; ; i++ {
		b, err := schemas.Encode(*ev)
		if err != nil || len(b) <= limit || i == len(steps) {
			return
		}
		steps[i]()
		ev.Base().Truncated = true
	}
}

// Parts of normBound: JSON escaping makes a string at most 6 times longer
// (\u00XX per byte); raw JSON is copied as it is; the rest (member names,
// numbers, punctuation) is bounded by a constant per object.
const (
	normEscape       = 6
	normEnvelopeRoom = 1024 // envelope and base members besides their strings
	normFileRoom     = 512  // a file's typed members besides their strings
	normEntryRoom    = 64   // one summary step or progress entry besides its strings
)

// normBound returns an upper bound of the encoded size of ev, or a huge
// value for data it does not know.
func normBound(ev *schemas.Event) int {
	b := ev.Base()
	if b == nil {
		return int(^uint(0) >> 1)
	}
	n := normEnvelopeRoom + normStrings(ev.ID, ev.Source, ev.Subject, ev.DataSchema, b.AssemblyID, b.State, b.Source, b.ParentID)
	switch d := ev.Data.(type) {
	case *schemas.UploadFinished:
		n += normFileBound(&d.Upload)
	case *schemas.StepResult:
		n += normStrings(d.Step) + normFileBound(&d.Result)
	case *schemas.ExecutionProgress:
		for _, p := range d.PerFile {
			n += normEntryRoom + normStrings(p.OriginalID)
		}
	case *schemas.Warning:
		n += normStrings(d.Level, d.Msg)
	case *schemas.Completed:
		n += normStrings(d.Message) + normSummaryBound(&d.Summary)
	case *schemas.Canceled:
		n += normStrings(d.Message) + normSummaryBound(&d.Summary)
	case *schemas.Aborted:
		n += normStrings(d.Message) + normSummaryBound(&d.Summary)
	case *schemas.Failed:
		n += normStrings(d.Error, d.Message, d.Reason) + normSummaryBound(&d.Summary) + normEntryRoom
		if d.SystemError != nil {
			n += normStrings(d.SystemError.Code, d.SystemError.Syscall, d.SystemError.Path)
		}
	case *schemas.WatchExpired:
		n += normStrings(d.Reason, d.Detail)
	case *schemas.WatchFailed:
		n += normStrings(d.Reason, d.Detail)
	}
	return n
}

func normStrings(ss ...string) int {
	n := 0
	for _, s := range ss {
		n += normEscape * len(s)
	}
	return n
}

func normFileBound(f *schemas.File) int {
	n := normFileRoom + len(f.Meta) + normStrings(f.ID, f.Name, f.Basename, f.Ext, f.Mime, f.Type, f.Field,
		f.MD5Hash, f.OriginalID, f.OriginalBasename, f.OriginalName, f.OriginalPath, f.OriginalMD5Hash,
		f.TusUploadURL, f.URL, f.SSLURL)
	for k, v := range f.Extra {
		n += normStrings(k) + len(v) + 8
	}
	return n
}

func normSummaryBound(s *schemas.Summary) int {
	n := normEntryRoom * 2
	for _, st := range s.Steps {
		n += normEntryRoom + normStrings(st.Name)
	}
	return n
}

// normReducers lists, per payload, the ways to make it smaller, mildest
// first: a file's meta, then its unnamed members, then all but its
// identity; long text; a summary's per-Step list.
func normReducers(data any) []func() {
	switch d := data.(type) {
	case *schemas.UploadFinished:
		return normFileReducers(&d.Upload)
	case *schemas.StepResult:
		return normFileReducers(&d.Result)
	case *schemas.Warning:
		return normTextReducers(&d.Msg)
	case *schemas.Completed:
		return append(normTextReducers(&d.Message), normSummaryReducer(&d.Summary))
	case *schemas.Canceled:
		return append(normTextReducers(&d.Message), normSummaryReducer(&d.Summary))
	case *schemas.Aborted:
		return append(normTextReducers(&d.Message), normSummaryReducer(&d.Summary))
	case *schemas.Failed:
		return append(normTextReducers(&d.Message, &d.Reason), normSummaryReducer(&d.Summary))
	case *schemas.WatchExpired:
		return normTextReducers(&d.Detail)
	case *schemas.WatchFailed:
		return normTextReducers(&d.Detail)
	}
	return nil
}

func normFileReducers(f *schemas.File) []func() {
	return []func(){
		func() {
			f.Meta = nil
			if _, ok := f.Extra["meta"]; ok {
				extra := make(map[string]json.RawMessage, len(f.Extra))
				for k, v := range f.Extra {
					if k != "meta" {
						extra[k] = v
					}
				}
				f.Extra = extra
			}
		},
		func() { f.Extra = nil },
		func() {
			*f = schemas.File{ID: f.ID, Name: f.Name, Ext: f.Ext, Size: f.Size, Mime: f.Mime,
				Type: f.Type, Field: f.Field, OriginalID: f.OriginalID}
		},
		func() { *f = schemas.File{ID: f.ID} },
	}
}

// Text is cut to these many bytes, in turn.
const (
	normTextLong  = 64 << 10
	normTextShort = 1 << 10
)

func normTextReducers(texts ...*string) []func() {
	cut := func(limit int) func() {
		return func() {
			for _, s := range texts {
				*s = normCut(*s, limit)
			}
		}
	}
	return []func(){cut(normTextLong), cut(normTextShort)}
}

func normSummaryReducer(s *schemas.Summary) func() {
	return func() { s.Steps = []schemas.StepSummary{} }
}

// normCut shortens s to at most limit bytes without splitting a rune.
func normCut(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	return s[:limit]
}
