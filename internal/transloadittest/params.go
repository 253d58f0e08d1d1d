package transloadittest

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Bounds of a request form.
const (
	maxFieldBytes = 1 << 20
	maxFormFields = 256
)

// requestForm is a parsed request: the first value of each field (query
// parameters first, then the body) and the files of a multipart body.
type requestForm struct {
	values map[string]string
	order  []string // field names in arrival order
	files  []upload
}

func (f *requestForm) set(k, v string) {
	if _, ok := f.values[k]; !ok {
		f.order = append(f.order, k)
	}
	f.values[k] = v
}

// readForm reads query parameters and a multipart or urlencoded body of
// any method (Transloadit SDKs send DELETE with a form body). File parts
// are hashed and counted, never stored.
func readForm(w http.ResponseWriter, r *http.Request, maxBytes int64) (*requestForm, error) {
	form := &requestForm{values: make(map[string]string)}
	for k, vs := range r.URL.Query() {
		if len(vs) > 0 {
			form.set(k, vs[0])
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		return form, readMultipart(r, form)
	case "application/x-www-form-urlencoded":
		b, err := io.ReadAll(io.LimitReader(r.Body, maxFieldBytes*4+1))
		if err != nil {
			return nil, err
		}
		if len(b) > maxFieldBytes*4 {
			return nil, errors.New("form body too large")
		}
		q, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			form.set(k, q[k][0])
		}
	}
	return form, nil
}

func readMultipart(r *http.Request, form *requestForm) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return err
	}
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if n >= maxFormFields {
			return errors.New("too many form parts")
		}
		if part.FileName() != "" {
			h := md5.New()
			size, err := io.Copy(h, part)
			if err != nil {
				return err
			}
			u := newUpload(part.FileName(), size, partMime(part.Header.Get("Content-Type")), part.FormName())
			u.size = size
			u.md5 = hex.EncodeToString(h.Sum(nil))
			form.files = append(form.files, u)
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		if err != nil {
			return err
		}
		if len(b) > maxFieldBytes {
			return fmt.Errorf("field %q too large", part.FormName())
		}
		form.set(part.FormName(), string(b))
	}
}

// partMime is the part's declared type unless it is the generic one.
func partMime(ct string) string {
	m, _, _ := mime.ParseMediaType(ct)
	if m == "application/octet-stream" {
		return ""
	}
	return m
}

// paramsDoc is what the simulator reads from the params field.
type paramsDoc struct {
	Steps                 orderedSteps   `json:"steps"`
	Auth                  *authParams    `json:"auth"`
	TemplateID            string         `json:"template_id"`
	NotifyURL             string         `json:"notify_url"`
	Fields                map[string]any `json:"fields"`
	EmitExecutionProgress bool           `json:"emit_execution_progress"`
	Sim                   *simParams     `json:"x_sim"`

	// GET /assemblies
	Page     int      `json:"page"`
	PageSize int      `json:"pagesize"`
	Type     string   `json:"type"`
	FromDate string   `json:"fromdate"`
	ToDate   string   `json:"todate"`
	Keywords []string `json:"keywords"`
}

type authParams struct {
	Key     string `json:"key"`
	Expires string `json:"expires"`
}

// stepParams is one Step of params.steps.
type stepParams struct {
	name  string
	Robot string          `json:"robot"`
	Use   json.RawMessage `json:"use"`
}

// orderedSteps keeps params.steps in the order the client wrote them.
type orderedSteps []stepParams

func (o *orderedSteps) UnmarshalJSON(data []byte) error {
	*o = nil
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("steps: want a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var st stepParams
		if err := dec.Decode(&st); err != nil {
			return fmt.Errorf("steps[%v]: %w", tok, err)
		}
		st.name, _ = tok.(string)
		*o = append(*o, st)
	}
	return nil
}

// uses reads the forms of "use": a name, a list of names or of
// {"name": ...}, or {"steps": [...]}.
func (st stepParams) uses() []string {
	if len(st.Use) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(st.Use, &one) == nil {
		return []string{one}
	}
	var obj struct {
		Steps json.RawMessage `json:"steps"`
	}
	raw := st.Use
	if json.Unmarshal(st.Use, &obj) == nil && obj.Steps != nil {
		raw = obj.Steps
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var names []string
	for _, it := range items {
		var name string
		if json.Unmarshal(it, &name) != nil {
			var named struct {
				Name string `json:"name"`
			}
			_ = json.Unmarshal(it, &named)
			name = named.Name
		}
		if name != "" {
			names = append(names, name)
		}
	}
	return names
}

// simParams are the simulator's knobs for Assemblies created over HTTP,
// read from params.x_sim or the form field x_sim (which wins).
type simParams struct {
	TickMS             int            `json:"tick_ms"`
	UploadChunks       int            `json:"upload_chunks"`
	FailStep           string         `json:"fail_step"`
	FailCode           string         `json:"fail_code"`
	FailHTTPCode       int            `json:"fail_http_code"`
	CancelAfterResults int            `json:"cancel_after_results"`
	AbortUpload        bool           `json:"abort_upload"`
	StartOnStream      bool           `json:"start_on_stream"`
	ParentID           string         `json:"parent_id"`
	Results            map[string]int `json:"results"`
	Uploads            []struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
		Mime string `json:"mime"`
	} `json:"uploads"`
	Awkward Awkward   `json:"awkward"`
	Faults  simFaults `json:"faults"`
}

type simFaults struct {
	DropStreamAfter int     `json:"drop_stream_after"`
	DropStreamTimes int     `json:"drop_stream_times"`
	DropClean       bool    `json:"drop_clean"`
	RefuseSSE       bool    `json:"refuse_sse"`
	RefuseSSECode   int     `json:"refuse_sse_code"`
	Status5xxRatio  float64 `json:"status_5xx_ratio"`
	Status5xxCode   int     `json:"status_5xx_code"`
	MalformedRatio  float64 `json:"malformed_ratio"`
	LatencyMS       int     `json:"latency_ms"`
}

func (f simFaults) faults() Faults {
	return Faults{
		DropStreamAfter: f.DropStreamAfter, DropStreamTimes: f.DropStreamTimes, DropClean: f.DropClean,
		RefuseSSE: f.RefuseSSE, RefuseSSECode: f.RefuseSSECode,
		Status5xxRatio: f.Status5xxRatio, Status5xxCode: f.Status5xxCode,
		MalformedRatio: f.MalformedRatio, Latency: time.Duration(f.LatencyMS) * time.Millisecond,
	}
}

// parseParams decodes the params field as the API would validate it.
func parseParams(raw string) (*paramsDoc, *apiError) {
	var probe any
	if err := json.Unmarshal([]byte(raw), &probe); err != nil {
		return nil, &apiError{Error: "INVALID_PARAMS_FIELD", Message: "The params field is not valid JSON: " + err.Error()}
	}
	if _, ok := probe.(map[string]any); !ok {
		return nil, &apiError{Error: "NO_OBJECT_PARAMS_FIELD", Message: "The params field must be a JSON object."}
	}
	var pd paramsDoc
	if err := json.Unmarshal([]byte(raw), &pd); err != nil {
		return nil, &apiError{Error: "INVALID_PARAMS_FIELD", Message: err.Error()}
	}
	return &pd, nil
}

// checkAuth verifies a signed request when the Server has an auth secret;
// without one every request is accepted as it is.
func (s *Server) checkAuth(raw, sig string, pd *paramsDoc) *apiError {
	if s.cfg.authSecret == "" {
		return nil
	}
	switch {
	case sig == "":
		return &apiError{Error: transloadit.CodeNoSignatureField, Message: "No signature field was provided."}
	case pd == nil || pd.Auth == nil:
		return &apiError{Error: "NO_AUTH_PARAMETER", Message: "No auth parameter was provided."}
	case pd.Auth.Key == "":
		return &apiError{Error: "NO_AUTH_KEY_PARAMETER", Message: "No auth key was provided."}
	case pd.Auth.Expires == "":
		return &apiError{Error: "NO_AUTH_EXPIRES_PARAMETER", Message: "No auth expires parameter was provided."}
	case !transloadit.VerifySignature(s.cfg.authSecret, raw, sig):
		return &apiError{Error: transloadit.CodeInvalidSignature, Message: "Invalid signature."}
	}
	exp, ok := parseExpires(pd.Auth.Expires)
	if !ok {
		return &apiError{Error: "INVALID_AUTH_EXPIRES_PARAMETER", Message: "Invalid auth expires parameter."}
	}
	if exp.Before(s.cfg.now()) {
		return &apiError{Error: transloadit.CodeAuthExpired, Message: "The auth expires date is in the past."}
	}
	return nil
}

// parseExpires reads the two expiry formats SDKs send.
func parseExpires(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006/01/02 15:04:05-07:00", "2006/01/02 15:04:05Z07:00", "2006/01/02 15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// reservedFields are form fields that are not custom fields.
var reservedFields = map[string]bool{"params": true, "signature": true, "tus_num_expected_upload_files": true, "x_sim": true}

// planFromRequest turns a create request into a plan.
func (s *Server) planFromRequest(raw string, pd *paramsDoc, form *requestForm, client string) (*plan, *apiError) {
	sim := pd.Sim
	if v, ok := form.values["x_sim"]; ok {
		sim = new(simParams)
		if err := json.Unmarshal([]byte(v), sim); err != nil {
			return nil, &apiError{Error: transloadit.CodeInvalidFormData, Message: "x_sim: " + err.Error()}
		}
	}
	if sim == nil {
		sim = new(simParams)
	}
	sc := Script{
		Uploads:               []Upload{},
		UploadChunks:          sim.UploadChunks,
		Tick:                  time.Duration(sim.TickMS) * time.Millisecond,
		FailStep:              sim.FailStep,
		FailCode:              sim.FailCode,
		FailHTTPCode:          sim.FailHTTPCode,
		CancelAfterResults:    sim.CancelAfterResults,
		AbortUpload:           sim.AbortUpload,
		EmitExecutionProgress: pd.EmitExecutionProgress,
		StartOnStream:         sim.StartOnStream,
		ParentID:              sim.ParentID,
		Awkward:               sim.Awkward,
		Faults:                sim.Faults.faults(),
	}
	var uses [][]string
	for _, st := range pd.Steps {
		sc.Steps = append(sc.Steps, Step{Name: st.name, Robot: st.Robot, Results: sim.Results[st.name]})
		uses = append(uses, st.uses())
	}
	if len(sc.Steps) == 0 {
		if pd.TemplateID == "" {
			return nil, &apiError{Error: "ASSEMBLY_NO_STEPS", Message: "No steps and no template_id were given."}
		}
		sc.Steps = defaultSteps()
		uses = nil
	}
	for _, u := range sim.Uploads {
		sc.Uploads = append(sc.Uploads, Upload(u))
	}
	p, err := buildPlan(sc, uses, s.cfg.tick)
	if err != nil {
		return nil, &apiError{Error: "ASSEMBLY_INVALID_STEPS", Message: err.Error()}
	}
	p.uploads = append(form.files, p.uploads...)
	if n, err := strconv.Atoi(form.values["tus_num_expected_upload_files"]); err == nil && n > 0 {
		if n > maxUploads {
			return nil, &apiError{Error: "ASSEMBLY_INVALID_NUM_EXPECTED_UPLOAD_FILES_PARAM", Message: "Too many expected uploads."}
		}
		// tus is not served; the expected uploads arrive as if sent.
		p.expectedTus = n
		for i := range n {
			u := newUpload(fmt.Sprintf("tus-upload-%d.jpg", i+1), 0, "", "file")
			u.tus = true
			p.uploads = append(p.uploads, u)
		}
	}
	if err := p.validate(); err != nil {
		return nil, &apiError{Error: "ASSEMBLY_INVALID_STEPS", Message: err.Error()}
	}
	p.params = ptr(maskParams(raw))
	p.fields = pd.Fields
	for _, k := range form.order {
		if !reservedFields[k] {
			if p.fields == nil {
				p.fields = make(map[string]any)
			}
			p.fields[k] = form.values[k]
		}
	}
	if pd.NotifyURL != "" {
		p.notifyURL = ptr(pd.NotifyURL)
	}
	if pd.TemplateID != "" {
		p.templateID = ptr(pd.TemplateID)
	}
	if client != "" {
		p.client = ptr(client)
	}
	return p, nil
}

// maskParams is params as the status echoes it: the auth key masked.
func maskParams(raw string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &m) != nil {
		return raw
	}
	var auth map[string]json.RawMessage
	if json.Unmarshal(m["auth"], &auth) == nil && auth != nil {
		if _, ok := auth["key"]; ok {
			auth["key"] = json.RawMessage(`"****"`)
		}
		m["auth"], _ = json.Marshal(auth)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return string(b)
}

// scriptParams writes the params a Script's Assembly would have been
// created with.
func scriptParams(p *plan) string {
	var buf bytes.Buffer
	buf.WriteString(`{"steps":{`)
	for i, st := range p.steps {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, _ := json.Marshal(st.name)
		body := map[string]any{"robot": st.robot}
		switch len(st.uses) {
		case 0:
		case 1:
			body["use"] = st.uses[0]
		default:
			body["use"] = st.uses
		}
		b, _ := json.Marshal(body)
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(b)
	}
	buf.WriteString("}")
	if p.progress {
		buf.WriteString(`,"emit_execution_progress":true`)
	}
	buf.WriteString("}")
	return buf.String()
}
