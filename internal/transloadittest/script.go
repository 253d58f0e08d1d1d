package transloadittest

import (
	"fmt"
	"strings"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Script describes one simulated Assembly as plain data. The zero value is
// a sensible Assembly: one uploaded JPEG, an ":original" Step and a
// "resized" Step, completing after a few Ticks.
type Script struct {
	// ID is the Assembly ID to use; empty means a random one. It must be
	// 32 lower-case hex characters and not in use.
	ID string
	// Steps run in order after the uploads. Nil means the default Steps
	// (":original" with /upload/handle, "resized" with /image/resize).
	Steps []Step
	// Uploads are the files "uploaded" into the Assembly. Nil means one
	// default JPEG unless the first Step is an import robot; a non-nil
	// empty slice means no uploads.
	Uploads []Upload
	// UploadChunks is how many Ticks (and bytes_received increments) each
	// upload takes; default 2.
	UploadChunks int
	// Tick is the base time unit of the lifecycle; every phase is a whole
	// number of Ticks. Zero means the Server's tick (WithTick, default 20ms).
	Tick time.Duration
	// FailStep makes that Step fail when it starts. FailCode is the error
	// code (default INTERNAL_COMMAND_ERROR); setting only FailCode fails
	// the first Step.
	FailStep, FailCode string
	// FailHTTPCode is the HTTP code a failed Assembly's status is served
	// with; 0 picks one from the code (400 for validation-like codes, 403
	// for *_ACCESS_DENIED, 404 for *_NOT_FOUND, 200 for ASSEMBLY_EXPIRED,
	// 500 otherwise). Awkward.ErrorIn200OKNull and ErrorNoOK force 200.
	FailHTTPCode int
	// CancelAfterResults cancels the Assembly once this many results exist
	// (0 = never).
	CancelAfterResults int
	// AbortUpload ends the Assembly in REQUEST_ABORTED after the first
	// upload chunk, as when the uploading client goes away.
	AbortUpload bool
	// EmitExecutionProgress sends assembly_execution_progress events (as
	// params.emit_execution_progress does).
	EmitExecutionProgress bool
	// StartOnStream holds the lifecycle until the first update stream
	// connection for the Assembly is accepted, so a test sees every event.
	StartOnStream bool
	// ParentID makes the Assembly a replay: it executes in
	// ASSEMBLY_REPLAYING and its status carries parent_id.
	ParentID string
	// Warnings are added to the status when execution starts.
	Warnings []transloadit.Warning
	// Awkward switches on shapes real clients met.
	Awkward Awkward
	// Faults injects failures for this Assembly; non-zero fields override
	// the Server's faults (WithFaults, SetFaults).
	Faults Faults
}

// Step is one Step of the Assembly Instructions.
type Step struct {
	// Name is the Step name (the key under "steps" and in "results").
	Name string
	// Robot, e.g. "/image/resize", "/video/encode", "/http/import",
	// "/file/filter", "/s3/store", "/upload/handle". Robots ending in
	// "/import" take no input; unknown robots produce generic files.
	Robot string
	// Use names the Step whose results are the input; empty means
	// ":original" (the uploads) for robots that take input.
	Use string
	// Results is how many result files the Step produces per input file
	// (per Step for import robots); default 1. /file/filter and store
	// robots pass each input through once.
	Results int
}

// Upload is a file uploaded into the Assembly.
type Upload struct {
	Name string
	// Size in bytes; default 485784.
	Size int64
	// Mime type; default from the name's extension.
	Mime string
}

// Awkward switches on the status and stream shapes that real clients met
// (API notes, section 9). Each is off by default.
type Awkward struct {
	// ErrorIn200OKNull serves a failed Assembly's status with HTTP 200 and
	// "ok": null next to "error".
	ErrorIn200OKNull bool `json:"error_in_200_ok_null"`
	// ErrorNoOK serves a failed Assembly's status with HTTP 200 and no
	// "ok" key at all.
	ErrorNoOK bool `json:"error_no_ok"`
	// SystemError makes the failure (FailStep, or the first Step when
	// FailStep is empty) take the errno/code/syscall shape, with neither
	// ok nor error, served with HTTP 200.
	SystemError bool `json:"system_error"`
	// NullBytesExpected writes "bytes_expected": null throughout.
	NullBytesExpected bool `json:"null_bytes_expected"`
	// NoUpdateStreamURL leaves update_stream_url out of every status; only
	// websocket_url is there.
	NoUpdateStreamURL bool `json:"no_update_stream_url"`
	// DuplicateSSEOnReconnect makes every update stream connection after
	// the first start by re-sending the last events already delivered.
	DuplicateSSEOnReconnect bool `json:"duplicate_sse_on_reconnect"`
}

// Faults are injected failures. Used per Assembly (Script.Faults) and for
// the whole Server (WithFaults, SetFaults); a non-zero per-Assembly field
// wins.
type Faults struct {
	// DropStreamAfter cuts an update stream connection abruptly (no
	// terminating chunk) after it delivered this many events (0 = never).
	DropStreamAfter int
	// DropStreamTimes limits DropStreamAfter to the first N connections
	// of the Assembly (0 = every connection).
	DropStreamTimes int
	// DropClean ends dropped streams (by DropStreamAfter or DropStreams)
	// with a clean end of response instead of an abrupt cut.
	DropClean bool
	// RefuseSSE answers update stream requests with RefuseSSECode.
	RefuseSSE bool
	// RefuseSSECode is the HTTP code of refused streams; default 503.
	RefuseSSECode int
	// Status5xxRatio is the share (0..1) of status GETs answered with
	// Status5xxCode by a simulated front proxy.
	Status5xxRatio float64
	// Status5xxCode is the code of injected errors; default 502 (an HTML
	// body, as a proxy sends); 500 sends a SERVER_500 JSON body.
	Status5xxCode int
	// MalformedRatio is the share (0..1) of status GETs answered 200 with
	// a truncated JSON body.
	MalformedRatio float64
	// Latency delays status GETs and update stream responses.
	Latency time.Duration
}

// merge returns f with zero fields filled from g.
func (f Faults) merge(g Faults) Faults {
	if f.DropStreamAfter == 0 {
		f.DropStreamAfter = g.DropStreamAfter
	}
	if f.DropStreamTimes == 0 {
		f.DropStreamTimes = g.DropStreamTimes
	}
	f.DropClean = f.DropClean || g.DropClean
	f.RefuseSSE = f.RefuseSSE || g.RefuseSSE
	if f.RefuseSSECode == 0 {
		f.RefuseSSECode = g.RefuseSSECode
	}
	if f.Status5xxRatio == 0 {
		f.Status5xxRatio = g.Status5xxRatio
	}
	if f.Status5xxCode == 0 {
		f.Status5xxCode = g.Status5xxCode
	}
	if f.MalformedRatio == 0 {
		f.MalformedRatio = g.MalformedRatio
	}
	if f.Latency == 0 {
		f.Latency = g.Latency
	}
	return f
}

// Defaults of a Script.
const (
	DefaultTick         = 20 * time.Millisecond
	defaultUploadChunks = 2
	defaultUploadSize   = 485784
	defaultFailCode     = transloadit.CodeInternalCommandErr
	// maxPlannedResults bounds the results (and so the events) of one
	// Assembly.
	maxPlannedResults = 10000
	maxUploads        = 1000
	maxUploadChunks   = 1000
)

// defaultSteps are the Steps of a zero Script.
func defaultSteps() []Step {
	return []Step{
		{Name: ":original", Robot: "/upload/handle"},
		{Name: "resized", Robot: "/image/resize", Use: ":original"},
	}
}

func isImporter(robot string) bool { return strings.HasSuffix(robot, "/import") }

// planStep is a validated Step.
type planStep struct {
	name, robot string
	uses        []string
	results     int
}

// upload is a validated upload.
type upload struct {
	name, mime, field, md5 string
	size                   int64
	tus                    bool
}

// plan is a validated Script plus what a create request adds.
type plan struct {
	id            string
	tick          time.Duration
	uploadChunks  int
	steps         []planStep
	uploads       []upload
	failStep      string
	failCode      string
	failHTTP      int
	cancelAfter   int
	abortUpload   bool
	progress      bool
	startOnStream bool
	parentID      string
	warnings      []transloadit.Warning
	awkward       Awkward
	faults        Faults
	expectedTus   int

	// From the request (nil when created through Create).
	params     *string
	notifyURL  *string
	templateID *string
	fields     map[string]any
	client     *string
}

// newPlan validates sc; tick is the Server's default Tick.
func newPlan(sc Script, tick time.Duration) (*plan, error) { return buildPlan(sc, nil, tick) }

// buildPlan validates sc; uses, when it has an entry for a Step, replaces
// that Step's Use (params may name several Steps).
func buildPlan(sc Script, uses [][]string, tick time.Duration) (*plan, error) {
	p := &plan{
		id:            sc.ID,
		tick:          sc.Tick,
		uploadChunks:  sc.UploadChunks,
		failStep:      sc.FailStep,
		failCode:      sc.FailCode,
		failHTTP:      sc.FailHTTPCode,
		cancelAfter:   sc.CancelAfterResults,
		abortUpload:   sc.AbortUpload,
		progress:      sc.EmitExecutionProgress,
		startOnStream: sc.StartOnStream,
		parentID:      sc.ParentID,
		warnings:      append([]transloadit.Warning(nil), sc.Warnings...),
		awkward:       sc.Awkward,
		faults:        sc.Faults,
	}
	if p.tick <= 0 {
		p.tick = tick
	}
	if p.uploadChunks <= 0 {
		p.uploadChunks = defaultUploadChunks
	}
	if p.uploadChunks > maxUploadChunks {
		return nil, fmt.Errorf("%w: upload chunks %d > %d", ErrInvalidScript, p.uploadChunks, maxUploadChunks)
	}
	if p.id != "" && !transloadit.ValidAssemblyID(p.id) {
		return nil, fmt.Errorf("%w: id %q", ErrInvalidScript, p.id)
	}
	steps := sc.Steps
	if steps == nil {
		steps = defaultSteps()
	}
	for i, st := range steps {
		ps := planStep{name: st.Name, robot: st.Robot, results: st.Results}
		if st.Use != "" {
			ps.uses = []string{st.Use}
		}
		if i < len(uses) && len(uses[i]) > 0 {
			ps.uses = uses[i]
		}
		p.steps = append(p.steps, ps)
	}
	ups := sc.Uploads
	if ups == nil && (len(p.steps) == 0 || !isImporter(p.steps[0].robot)) {
		ups = []Upload{{Name: "photo.jpg"}}
	}
	for _, u := range ups {
		p.uploads = append(p.uploads, newUpload(u.Name, u.Size, u.Mime, "file"))
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return p, nil
}

func newUpload(name string, size int64, mime, field string) upload {
	if name == "" {
		name = "file.bin"
	}
	if size <= 0 {
		size = defaultUploadSize
	}
	if mime == "" {
		mime = mimeOf(name)
	}
	return upload{name: name, size: size, mime: mime, field: field}
}

// validate fills defaults and checks what the API would refuse: a Step
// without a name or robot, a use of an unknown or later Step, or more work
// than the simulator bounds.
func (p *plan) validate() error {
	if len(p.uploads) > maxUploads {
		return fmt.Errorf("%w: %d uploads > %d", ErrInvalidScript, len(p.uploads), maxUploads)
	}
	seen := map[string]int{":original": len(p.uploads)}
	total := 0
	for i := range p.steps {
		st := &p.steps[i]
		if st.name == "" || st.robot == "" {
			return fmt.Errorf("%w: step %d needs a name and a robot", ErrInvalidScript, i)
		}
		if _, dup := seen[st.name]; dup && st.name != ":original" {
			return fmt.Errorf("%w: step %q defined twice", ErrInvalidScript, st.name)
		}
		if st.results <= 0 {
			st.results = 1
		}
		if len(st.uses) == 0 && !isImporter(st.robot) && st.name != ":original" {
			st.uses = []string{":original"}
		}
		n := 0
		switch {
		case st.name == ":original":
			n = len(p.uploads)
		case isImporter(st.robot):
			n = st.results
		default:
			for _, u := range st.uses {
				in, ok := seen[u]
				if !ok {
					return fmt.Errorf("%w: step %q uses unknown step %q", ErrInvalidScript, st.name, u)
				}
				n += in * perInput(st)
			}
		}
		total += n
		if total > maxPlannedResults {
			return fmt.Errorf("%w: more than %d results", ErrInvalidScript, maxPlannedResults)
		}
		seen[st.name] = n
	}
	if p.failCode != "" && p.failStep == "" && len(p.steps) > 0 {
		p.failStep = p.steps[0].name
	}
	if p.awkward.SystemError && p.failStep == "" && len(p.steps) > 0 {
		p.failStep = p.steps[0].name
	}
	if p.failStep != "" {
		if _, ok := seen[p.failStep]; !ok || p.failStep == ":original" && !p.hasStep(":original") {
			return fmt.Errorf("%w: fail step %q is not a step", ErrInvalidScript, p.failStep)
		}
		if p.failCode == "" {
			p.failCode = defaultFailCode
		}
	}
	return nil
}

func (p *plan) hasStep(name string) bool {
	for _, st := range p.steps {
		if st.name == name {
			return true
		}
	}
	return false
}

// perInput is how many results a Step makes from one input file.
func perInput(st *planStep) int {
	if passThrough(st.robot) {
		return 1
	}
	return st.results
}

// passThrough robots hand each input on unchanged (filter, store).
func passThrough(robot string) bool {
	return robot == "/file/filter" || strings.HasSuffix(robot, "/store")
}

// totalResults is the number of results the plan produces when it runs to
// the end.
func (p *plan) totalResults() int {
	seen := map[string]int{":original": len(p.uploads)}
	total := 0
	for i := range p.steps {
		st := &p.steps[i]
		n := 0
		switch {
		case st.name == ":original":
			n = len(p.uploads)
		case isImporter(st.robot):
			n = st.results
		default:
			for _, u := range st.uses {
				n += seen[u] * perInput(st)
			}
		}
		seen[st.name] = n
		total += n
	}
	return total
}

// failHTTPCode is the HTTP code a failed status is served with.
func (p *plan) failHTTPCode() int {
	switch {
	case p.awkward.ErrorIn200OKNull || p.awkward.ErrorNoOK || p.awkward.SystemError:
		return 200
	case p.failHTTP != 0:
		return p.failHTTP
	}
	return httpCodeFor(p.failCode)
}

// httpCodeFor picks a plausible HTTP code for an Assembly error code.
func httpCodeFor(code string) int {
	switch {
	case code == transloadit.CodeExpired:
		// The only real capture of a failed status (node-sdk's fixture)
		// is an expired Assembly served with http_code 200.
		return 200
	case strings.HasSuffix(code, "_ACCESS_DENIED"):
		return 403
	case strings.HasSuffix(code, "_NOT_FOUND"):
		return 404
	case strings.HasSuffix(code, "_VALIDATION"), strings.HasPrefix(code, "INVALID_"),
		strings.Contains(code, "DECLINED"), strings.HasPrefix(code, "HTTP_IMPORT_"),
		code == transloadit.CodeImportFileError, code == "FILE_DOWNLOAD_ERROR":
		return 400
	}
	return 500
}
