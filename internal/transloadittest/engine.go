package transloadittest

import (
	"fmt"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// engine drives one Assembly through its lifecycle: uploading (bytes grow
// chunk by chunk, one assembly_upload_finished per file) → uploading
// finished → metadata extracted → each Step's results in order →
// completed; or it stops at a failure, a cancel, or an abort. Every
// change is one Tick after the previous one.
type engine struct {
	s       *Server
	a       *assembly
	p       *plan
	outputs map[string][]wireFile // Step → its results, the inputs of later Steps
	total   int                   // results the plan produces
	done    int                   // results produced so far
	perOrig map[string]int        // original_id → results produced from it
}

// run is the lifecycle goroutine of a; the Server owns it (engines).
func (s *Server) run(a *assembly) {
	defer s.engines.Done()
	e := &engine{s: s, a: a, p: a.plan, outputs: make(map[string][]wireFile), perOrig: make(map[string]int)}
	if !e.uploadPhase() || !e.executePhase() {
		return
	}
	e.complete()
}

// tick waits one Tick, after any hold (Pause, StartOnStream); false means
// the Assembly ended or the Server is closing.
func (e *engine) tick() bool {
	if !e.s.awaitRelease(e.a) {
		return false
	}
	t := time.NewTimer(e.p.tick)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-e.s.done:
		return false
	case <-e.a.stop:
		return false
	}
}

// awaitRelease blocks while a is paused or waiting for its first stream.
func (s *Server) awaitRelease(a *assembly) bool {
	for {
		s.mu.Lock()
		held := a.paused || a.plan.startOnStream && a.totalStreams == 0
		ch := s.changed
		s.mu.Unlock()
		if !held {
			return true
		}
		select {
		case <-ch:
		case <-s.done:
			return false
		case <-a.stop:
			return false
		}
	}
}

// apply runs fn under the Server's lock unless the Assembly already ended
// (canceled meanwhile); it reports whether the Assembly still runs.
func (e *engine) apply(fn func(now time.Time)) bool {
	s := e.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.a.terminal {
		return false
	}
	fn(s.cfg.now())
	s.notifyLocked()
	return !e.a.terminal
}

func (e *engine) uploadPhase() bool {
	a, p := e.a, e.p
	if len(p.uploads) == 0 {
		return true
	}
	for i, u := range p.uploads {
		chunk := (u.size + int64(p.uploadChunks) - 1) / int64(p.uploadChunks)
		left := u.size
		for c := range p.uploadChunks {
			if !e.tick() {
				return false
			}
			first, last := c == 0, c == p.uploadChunks-1
			ok := e.apply(func(now time.Time) {
				if u.tus && first {
					a.startedTus++
				}
				if p.abortUpload && i == 0 && first {
					a.bytesReceived += min(chunk, left) / 2
					a.state = transloadit.StateAborted
					a.emitLocked(message(msgAssemblyFinished))
					a.finishLocked(now)
					return
				}
				n := min(chunk, left)
				if last {
					n = left
				}
				left -= n
				a.bytesReceived += n
				if last {
					f := a.ff.upload(u)
					a.uploads = append(a.uploads, f)
					a.emitEventLocked(evUploadFinished, f)
					if u.tus {
						a.finishedTus++
					}
				}
			})
			if !ok {
				return false
			}
		}
	}
	if !e.tick() || !e.apply(func(now time.Time) {
		a.state = a.executingState()
		a.uploadDuration = seconds(now.Sub(a.created))
		a.executionStart = now
		a.emitLocked(message(msgUploadingFinished))
	}) {
		return false
	}
	return e.tick() && e.apply(func(time.Time) {
		a.metaExtracted = true
		a.emitLocked(message(msgMetaDataExtracted))
	})
}

func (e *engine) executePhase() bool {
	a, p := e.a, e.p
	e.total = p.totalResults()
	ok := e.apply(func(time.Time) {
		e.outputs[":original"] = append([]wireFile(nil), a.uploads...)
		for _, w := range p.warnings {
			a.warnings = append(a.warnings, wireWarning{Level: w.Level, Msg: w.Msg})
		}
	})
	if !ok {
		return false
	}
	for i := range p.steps {
		if !e.runStep(&p.steps[i]) {
			return false
		}
	}
	return true
}

// runStep produces one Step's results, one per Tick.
func (e *engine) runStep(st *planStep) bool {
	a, p := e.a, e.p
	jobs := jobNames(st)
	if !e.apply(func(time.Time) {
		a.startedJobs = append(a.startedJobs, jobs...)
		a.runningJobs = jobs
	}) {
		return false
	}
	if st.name == p.failStep {
		if e.tick() {
			e.apply(func(now time.Time) { e.failLocked(st, now) })
		}
		return false
	}
	var produced []wireFile
	emit := func(mk func() wireFile) bool {
		if !e.tick() {
			return false
		}
		return e.apply(func(now time.Time) {
			f := mk()
			produced = append(produced, f)
			e.addResultLocked(st.name, f, now)
		})
	}
	switch {
	case st.name == ":original":
		for _, up := range e.outputs[":original"] {
			if !emit(func() wireFile { return a.ff.original(up) }) {
				return false
			}
		}
	case isImporter(st.robot):
		for n := range st.results {
			if !emit(func() wireFile { return a.ff.imported(n) }) {
				return false
			}
		}
	default:
		of := perInput(st)
		for _, use := range st.uses {
			for _, in := range e.outputs[use] {
				for n := range of {
					if !emit(func() wireFile { return a.ff.output(st.robot, in, n, of) }) {
						return false
					}
				}
			}
		}
	}
	e.outputs[st.name] = produced
	return e.apply(func(now time.Time) {
		a.runningJobs = nil
		a.lastJobCompleted = now
	})
}

// jobNames are the Step's entries of started_jobs, "<step>::<use>".
func jobNames(st *planStep) []string {
	if len(st.uses) == 0 {
		return []string{st.name}
	}
	jobs := make([]string, len(st.uses))
	for i, u := range st.uses {
		jobs[i] = st.name + "::" + u
	}
	return jobs
}

// addResultLocked records a result, sends it on the stream, and cancels
// when the Script asks for it.
func (e *engine) addResultLocked(step string, f wireFile, now time.Time) {
	a, p := e.a, e.p
	a.appendResult(step, f)
	a.emitEventLocked(evResultFinished, []any{step, f})
	e.done++
	e.perOrig[f.OriginalID]++
	if p.progress {
		a.emitEventLocked(evExecutionProgress, e.progress())
	}
	if p.cancelAfter > 0 && a.resultCount() >= p.cancelAfter {
		_ = e.s.cancelLocked(a, now)
	}
}

type progress struct {
	Combined int            `json:"progress_combined"`
	PerFile  []fileProgress `json:"progress_per_original_file"`
}

type fileProgress struct {
	OriginalID string `json:"original_id"`
	Progress   int    `json:"progress"`
}

// progress is the execution progress now, in the recorded event's shape.
func (e *engine) progress() progress {
	pr := progress{Combined: 100, PerFile: []fileProgress{}}
	if e.total > 0 {
		pr.Combined = min(100, e.done*100/e.total)
	}
	origs := e.outputs[":original"]
	if len(origs) == 0 {
		return pr
	}
	per := (e.total + len(origs) - 1) / len(origs)
	for _, o := range origs {
		fp := fileProgress{OriginalID: o.ID, Progress: 100}
		if per > 0 {
			fp.Progress = min(100, e.perOrig[o.ID]*100/per)
		}
		pr.PerFile = append(pr.PerFile, fp)
	}
	return pr
}

// failLocked ends the Assembly failed at st; the stream gets
// assembly_error with the failed status and closes.
func (e *engine) failLocked(st *planStep, now time.Time) {
	a, p := e.a, e.p
	a.fail = &failure{
		code:     p.failCode,
		message:  fmt.Sprintf("The Step %q failed: simulated %s.", st.name, p.failCode),
		step:     st.name,
		httpCode: p.failHTTPCode(),
		system:   p.awkward.SystemError,
	}
	a.finishLocked(now)
	_, body := e.s.statusLocked(a)
	a.emitLocked(frame{event: evAssemblyError, data: body})
	e.s.logf("assembly %s failed at step %q with %s", a.id, st.name, p.failCode)
}

func (e *engine) complete() {
	a := e.a
	if !e.tick() {
		return
	}
	e.apply(func(now time.Time) {
		if e.p.progress {
			a.emitEventLocked(evExecutionProgress, progress{Combined: 100, PerFile: []fileProgress{}})
		}
		a.state = transloadit.StateCompleted
		a.emitLocked(message(msgAssemblyFinished))
		a.finishLocked(now)
		e.s.logf("assembly %s completed with %d results", a.id, a.resultCount())
	})
}
