package transloadittest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// SSE message and event names, as upstream sends them.
const (
	msgUploadingFinished = "assembly_uploading_finished"
	msgMetaDataExtracted = "assembly_upload_meta_data_extracted"
	msgAssemblyFinished  = "assembly_finished"
	evUploadFinished     = "assembly_upload_finished"
	evResultFinished     = "assembly_result_finished"
	evExecutionProgress  = "assembly_execution_progress"
	evAssemblyError      = "assembly_error"
)

// frame is one SSE frame: a message (event empty, data = its name) or an
// event with a one-line JSON payload.
type frame struct {
	event string
	data  []byte
}

func message(name string) frame { return frame{data: []byte(name)} }

func (f frame) terminal() bool {
	return f.event == evAssemblyError || f.event == "" && string(f.data) == msgAssemblyFinished
}

// failure is why an Assembly failed.
type failure struct {
	code, message, step string
	httpCode            int
	system              bool
}

// streamConn is one accepted update stream connection.
type streamConn struct {
	drop    chan struct{} // closed to cut the connection now
	dropped bool          // drop was closed; guarded by Server.mu
}

// assembly is one simulated Assembly. Every field is guarded by Server.mu
// except the immutable id, plan, created and stop.
type assembly struct {
	id      string
	plan    *plan
	created time.Time
	seq     int           // creation order, for listing
	stop    chan struct{} // closed when the Assembly is terminal

	ff     *fileFactory
	rng    *rand.Rand // fault decisions
	faults Faults     // per-Assembly faults (before merging the Server's)
	paused bool

	state            transloadit.State
	fail             *failure
	terminal         bool
	bytesReceived    int64
	bytesExpected    int64
	uploads          []wireFile
	results          wireResults
	outputs          map[string][]wireFile
	metaExtracted    bool
	executionStart   time.Time
	finishedAt       time.Time
	lastJobCompleted time.Time
	uploadDuration   float64
	queueDuration    float64
	jobsQueue        float64
	runningJobs      []string
	startedJobs      []string
	startedTus       int
	finishedTus      int
	warnings         []wireWarning

	events       []frame
	sentUpTo     int // highest event index delivered on any connection
	streams      map[*streamConn]struct{}
	openStreams  int
	totalStreams int
	statusReqs   []time.Time
}

// maxStatusReqs bounds the arrival times kept per Assembly.
const maxStatusReqs = 4096

func newAssembly(s *Server, p *plan, id string, now time.Time, seq int) *assembly {
	h := fnv.New64a()
	h.Write([]byte(id))
	rng := rand.New(rand.NewPCG(s.cfg.seed, h.Sum64()))
	a := &assembly{
		id:      id,
		plan:    p,
		created: now,
		seq:     seq,
		stop:    make(chan struct{}),
		rng:     rand.New(rand.NewPCG(s.cfg.seed^0x9e3779b97f4a7c15, h.Sum64())),
		faults:  p.faults,
		ff: &fileFactory{
			rng: rng, account: s.accountID, assemblyID: id,
			tusURL: s.MachineURL + "/resumable/files/", now: s.cfg.now,
		},
		outputs: make(map[string][]wireFile),
		streams: make(map[*streamConn]struct{}),
	}
	a.queueDuration = math.Round(rng.Float64()*300) / 1000
	a.jobsQueue = math.Round(rng.Float64()*20) / 1000
	for _, u := range p.uploads {
		a.bytesExpected += u.size
	}
	a.state = transloadit.StateUploading
	if len(p.uploads) == 0 {
		a.state = a.executingState()
		a.metaExtracted = true
		a.executionStart = now
	}
	return a
}

func (a *assembly) executingState() transloadit.State {
	if a.plan.parentID != "" {
		return transloadit.StateReplaying
	}
	return transloadit.StateExecuting
}

// emitLocked appends an SSE frame to the Assembly's log.
func (a *assembly) emitLocked(f frame) { a.events = append(a.events, f) }

func (a *assembly) emitEventLocked(name string, payload any) {
	b, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("transloadittest: encode %s: %v", name, err))
	}
	a.emitLocked(frame{event: name, data: b})
}

func (a *assembly) finishLocked(now time.Time) {
	a.terminal = true
	a.finishedAt = now
	a.runningJobs = nil
	close(a.stop)
}

// resultCount is the number of result files so far.
func (a *assembly) resultCount() int {
	n := 0
	for _, sr := range a.results {
		n += len(sr.files)
	}
	return n
}

func (a *assembly) appendResult(step string, f wireFile) {
	for i := range a.results {
		if a.results[i].step == step {
			a.results[i].files = append(a.results[i].files, f)
			return
		}
	}
	a.results = append(a.results, stepResults{step: step, files: []wireFile{f}})
}

var stateMessages = map[transloadit.State]string{
	transloadit.StateUploading: "The Assembly is still in the process of being uploaded.",
	transloadit.StateExecuting: "The Assembly is currently being executed.",
	transloadit.StateReplaying: "The Assembly is currently being replayed.",
	transloadit.StateCompleted: "The Assembly was successfully completed.",
	transloadit.StateCanceled:  "The Assembly was canceled.",
	transloadit.StateAborted:   "The upload connection was closed or timed out before receiving all data.",
}

// statusLocked renders the Assembly Status and the HTTP code it is served
// with.
func (s *Server) statusLocked(a *assembly) (int, []byte) {
	now := s.cfg.now()
	p := a.plan
	w := &wireStatus{
		AssemblyID:              a.id,
		Warnings:                a.warnings,
		AccountID:               s.accountID,
		AssemblySSLURL:          transloadit.StatusURL(s.MachineURL, a.id),
		AssemblyURL:             transloadit.StatusURL(s.MachineURL, a.id),
		BuildID:                 buildID,
		BytesReceived:           a.bytesReceived,
		BytesUsage:              a.bytesReceived,
		CompanionURL:            s.MachineURL + "/companion/",
		ExecutingJobs:           a.runningJobs,
		ExpectedTusUploads:      p.expectedTus,
		Fields:                  p.fields,
		FinishedTusUploads:      a.finishedTus,
		Instance:                s.instance,
		JobsQueueDuration:       a.jobsQueue,
		MergedParams:            p.params,
		NotifyURL:               p.notifyURL,
		Params:                  p.params,
		QueueDuration:           a.queueDuration,
		Results:                 a.results,
		RunningJobs:             a.runningJobs,
		StartDate:               statusDate(a.created),
		StartedJobs:             a.startedJobs,
		StartedTusUploads:       a.startedTus,
		TemplateID:              p.templateID,
		TransloaditClient:       p.client,
		TusURL:                  s.MachineURL + "/resumable/files/",
		UploadDuration:          a.uploadDuration,
		Uploads:                 a.uploads,
		UploadMetaDataExtracted: a.metaExtracted,
		UppyserverURL:           s.MachineURL + "/companion/",
		WebsocketURL:            s.websocketURL,
	}
	if !p.awkward.NoUpdateStreamURL {
		w.UpdateStreamURL = s.websocketURL + "?assembly=" + a.id
	}
	if !p.awkward.NullBytesExpected {
		w.BytesExpected = ptr(a.bytesExpected)
	}
	for _, sr := range a.results {
		for _, f := range sr.files {
			w.BytesUsage += f.Size
		}
	}
	if p.parentID != "" {
		w.ParentID = ptr(p.parentID)
	}
	if !a.executionStart.IsZero() {
		w.ExecutionStart = ptr(statusDate(a.executionStart))
		end := now
		if a.terminal {
			end = a.finishedAt
		}
		w.ExecutionDuration = ptr(seconds(end.Sub(a.executionStart)))
	}
	if !a.lastJobCompleted.IsZero() {
		w.LastJobCompleted = ptr(statusDate(a.lastJobCompleted))
	}
	fillEmpty(w)
	code := 200
	switch f := a.fail; {
	case f == nil:
		w.OK, _ = json.Marshal(a.state)
		w.Message = stateMessages[a.state]
	case f.system:
		w.Errno, w.Code, w.Syscall = ptr(-2), "ENOENT", "open"
		w.Path = "/mnt/jobs/" + a.id + "/" + f.step
	default:
		if p.awkward.ErrorIn200OKNull {
			w.OK = json.RawMessage("null")
		}
		w.Error, w.Message, w.Reason, w.Step = f.code, f.message, "simulated failure", f.step
		w.HTTPCode = f.httpCode
		code = f.httpCode
	}
	body, err := json.Marshal(w)
	if err != nil {
		panic(fmt.Sprintf("transloadittest: encode status: %v", err))
	}
	return code, body
}

// fillEmpty turns nil lists and objects into empty ones, as the API
// writes them.
func fillEmpty(w *wireStatus) {
	if w.Warnings == nil {
		w.Warnings = []wireWarning{}
	}
	if w.ExecutingJobs == nil {
		w.ExecutingJobs = []string{}
	}
	if w.RunningJobs == nil {
		w.RunningJobs = []string{}
	}
	if w.StartedJobs == nil {
		w.StartedJobs = []string{}
	}
	if w.Uploads == nil {
		w.Uploads = []wireFile{}
	}
	if w.Results == nil {
		w.Results = wireResults{}
	}
	if w.Fields == nil {
		w.Fields = map[string]any{}
	}
}

// buildID is what the simulator reports as the API's build.
const buildID = "sim-1"
