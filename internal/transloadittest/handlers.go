package transloadittest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

func writeJSON(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

func writeAPIError(w http.ResponseWriter, code int, e apiError) {
	if e.HTTPCode == 0 {
		e.HTTPCode = code
	}
	b, _ := json.Marshal(e)
	writeJSON(w, code, b)
}

// serveStatus answers GET /assemblies/<id> on either host: count the
// request, inject latency, ask OnStatus, apply the rate limit, answer 404
// for unknown IDs, inject 5xx or malformed bodies, else serve the status.
func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request, id string) {
	if !transloadit.ValidAssemblyID(id) {
		s.countNotFound()
		writeAPIError(w, http.StatusNotFound, notFoundError(id))
		return
	}
	now := s.cfg.now()
	s.mu.Lock()
	s.counters.StatusRequests++
	a := s.assemblies[id]
	reqs := s.recordStatusLocked(a, id, now)
	retryIn, limited := s.rateLimit(reqs, now)
	faults := s.faultsLocked(a)
	hook := s.OnStatus
	s.mu.Unlock()

	s.delay(r, faults.Latency)
	if hook != nil {
		if code, body, ok := hook(id, r); ok {
			s.count(func(c *Counters) { c.StatusHooked++ })
			writeJSON(w, code, body)
			return
		}
	}
	if limited {
		s.count(func(c *Counters) { c.RateLimited++ })
		writeRateLimited(w, id, retryIn)
		return
	}
	if a == nil {
		s.countNotFound()
		writeAPIError(w, http.StatusNotFound, notFoundError(id))
		return
	}
	s.mu.Lock()
	inject5xx := faults.Status5xxRatio > 0 && a.rng.Float64() < faults.Status5xxRatio
	malformed := !inject5xx && faults.MalformedRatio > 0 && a.rng.Float64() < faults.MalformedRatio
	code, body := s.statusLocked(a)
	switch {
	case inject5xx:
		s.counters.Injected5xx++
	case malformed:
		s.counters.InjectedMalformed++
	}
	s.mu.Unlock()
	switch {
	case inject5xx:
		writeProxyError(w, faults.Status5xxCode)
	case malformed:
		writeJSON(w, http.StatusOK, body[:len(body)/2])
	default:
		writeJSON(w, code, body)
	}
}

func notFoundError(id string) apiError {
	return apiError{Error: transloadit.CodeNotFound, Message: "The Assembly could not be found.", AssemblyID: id}
}

func writeRateLimited(w http.ResponseWriter, id string, retryIn time.Duration) {
	secs := math.Ceil(retryIn.Seconds())
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(secs)))
	writeAPIError(w, http.StatusTooManyRequests, apiError{
		Error:      transloadit.CodeStatusRateLimit,
		Message:    "More than 3 Assembly status requests for the same Assembly ID were sent within one second.",
		AssemblyID: id,
		Info:       &wireInfo{RetryIn: retryIn.Seconds()},
	})
}

// writeProxyError answers as a front proxy would: an HTML page, or for 500
// the API's own SERVER_500 body.
func writeProxyError(w http.ResponseWriter, code int) {
	if code == 0 {
		code = http.StatusBadGateway
	}
	if code == http.StatusInternalServerError {
		writeAPIError(w, code, apiError{Error: transloadit.CodeServer500, Message: "Internal Server Error"})
		return
	}
	text := fmt.Sprintf("%d %s", code, http.StatusText(code))
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(code)
	fmt.Fprintf(w, "<html><head><title>%s</title></head><body><center><h1>%s</h1></center></body></html>\n", text, text)
}

func (s *Server) count(f func(*Counters)) {
	s.mu.Lock()
	f(&s.counters)
	s.mu.Unlock()
}

func (s *Server) countNotFound() { s.count(func(c *Counters) { c.NotFound++ }) }

// faultsLocked is the Assembly's faults merged over the Server's.
func (s *Server) faultsLocked(a *assembly) Faults {
	if a == nil {
		return s.faults
	}
	return a.faults.merge(s.faults)
}

// serveCreate answers POST /assemblies and POST /assemblies/<id>.
func (s *Server) serveCreate(w http.ResponseWriter, r *http.Request, id string) {
	if id != "" && !transloadit.ValidAssemblyID(id) {
		writeAPIError(w, http.StatusBadRequest, apiError{Error: transloadit.CodeInvalidFormData, Message: "An Assembly ID is 32 lower-case hex characters."})
		return
	}
	form, err := readForm(w, r, s.cfg.maxUploadBytes)
	if err != nil {
		writeFormError(w, err)
		return
	}
	raw, ok := form.values["params"]
	if !ok || raw == "" {
		writeAPIError(w, http.StatusBadRequest, apiError{Error: "NO_PARAMS_FIELD", Message: "No params field was provided."})
		return
	}
	pd, aerr := parseParams(raw)
	if aerr != nil {
		writeAPIError(w, http.StatusBadRequest, *aerr)
		return
	}
	if aerr := s.checkAuth(raw, form.values["signature"], pd); aerr != nil {
		writeAPIError(w, http.StatusBadRequest, *aerr)
		return
	}
	p, aerr := s.planFromRequest(raw, pd, form, r.Header.Get("Transloadit-Client"))
	if aerr != nil {
		writeAPIError(w, http.StatusBadRequest, *aerr)
		return
	}
	p.id = id
	_, body, err := s.create(p)
	switch {
	case errors.Is(err, ErrDuplicateID):
		writeAPIError(w, http.StatusBadRequest, apiError{Error: "DO_NOT_REUSE_ASSEMBLY_IDS", Message: "This Assembly ID was used before."})
	case errors.Is(err, ErrTooManyAssemblies):
		writeAPIError(w, http.StatusTooManyRequests, apiError{Error: transloadit.CodeRateLimit, Message: "Request limit reached", Info: &wireInfo{RetryIn: 1}})
	case err != nil:
		writeAPIError(w, http.StatusServiceUnavailable, apiError{Error: "SERVER_503", Message: err.Error()})
	default:
		writeJSON(w, http.StatusOK, body)
	}
}

func writeFormError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeAPIError(w, http.StatusRequestEntityTooLarge, apiError{Error: "MAX_SIZE_EXCEEDED", Message: err.Error()})
		return
	}
	writeAPIError(w, http.StatusBadRequest, apiError{Error: transloadit.CodeInvalidFormData, Message: err.Error()})
}

// create registers and starts an Assembly and returns its creation status.
func (s *Server) create(p *plan) (*assembly, []byte, error) {
	now := s.cfg.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, ErrClosed
	}
	id := p.id
	if id == "" {
		id = newAssemblyID()
	}
	if _, dup := s.assemblies[id]; dup {
		return nil, nil, fmt.Errorf("%w: %s", ErrDuplicateID, id)
	}
	if !s.makeRoomLocked() {
		return nil, nil, ErrTooManyAssemblies
	}
	if p.params == nil {
		p.params = ptr(scriptParams(p))
	}
	s.seq++
	a := newAssembly(s, p, id, now, s.seq)
	s.assemblies[id] = a
	delete(s.unknownReqs, id)
	s.counters.Created++
	s.engines.Add(1)
	go s.run(a)
	s.notifyLocked()
	_, body := s.statusLocked(a)
	s.logf("assembly %s created (%d uploads, %d steps)", id, len(p.uploads), len(p.steps))
	return a, body, nil
}

// makeRoomLocked forgets the oldest finished Assembly when the Server is
// full; it reports false when every Assembly is still running.
func (s *Server) makeRoomLocked() bool {
	if len(s.assemblies) < s.cfg.maxAssemblies {
		return true
	}
	var oldest *assembly
	for _, a := range s.assemblies {
		if a.terminal && (oldest == nil || a.seq < oldest.seq) {
			oldest = a
		}
	}
	if oldest == nil {
		return false
	}
	delete(s.assemblies, oldest.id)
	return true
}

// serveCancel answers DELETE /assemblies/<id>.
func (s *Server) serveCancel(w http.ResponseWriter, r *http.Request, id string) {
	form, err := readForm(w, r, 1<<20)
	if err != nil {
		writeFormError(w, err)
		return
	}
	if s.cfg.authSecret != "" {
		raw := form.values["params"]
		var pd *paramsDoc
		var aerr *apiError
		if raw != "" {
			pd, aerr = parseParams(raw)
		}
		if aerr == nil {
			aerr = s.checkAuth(raw, form.values["signature"], pd)
		}
		if aerr != nil {
			writeAPIError(w, http.StatusBadRequest, *aerr)
			return
		}
	}
	s.mu.Lock()
	a := s.assemblies[id]
	var code int
	var body []byte
	if a != nil {
		err = s.cancelLocked(a, s.cfg.now())
		code, body = s.statusLocked(a)
	}
	s.mu.Unlock()
	switch {
	case a == nil:
		writeAPIError(w, http.StatusNotFound, notFoundError(id))
	case err != nil:
		// Upstream answers ASSEMBLY_NOT_FOUND for an Assembly that no
		// longer runs.
		writeAPIError(w, http.StatusNotFound, apiError{Error: transloadit.CodeNotFound, Message: "The Assembly is no longer running and cannot be canceled.", AssemblyID: id})
	default:
		writeJSON(w, code, body)
	}
}

// cancelLocked ends a running Assembly in ASSEMBLY_CANCELED; its stream
// gets assembly_finished and closes.
func (s *Server) cancelLocked(a *assembly, now time.Time) error {
	if a.terminal {
		return ErrFinished
	}
	a.state = transloadit.StateCanceled
	a.emitLocked(message(msgAssemblyFinished))
	a.finishLocked(now)
	s.counters.Canceled++
	s.notifyLocked()
	s.logf("assembly %s canceled", a.id)
	return nil
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.logf != nil {
		s.cfg.logf("transloadittest: "+format, args...)
	}
}
