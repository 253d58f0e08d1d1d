package bridge

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// HTTPConfig configures the handler returned by [NewHTTPHandler].
type HTTPConfig struct {
	// Token, if set, is the bearer token every /v1/watches request must
	// carry. Without it the /v1/watches routes answer 404 API_DISABLED,
	// unless Insecure is set.
	Token string
	// Insecure opens the /v1/watches routes to anyone when Token is
	// empty: for a private address only.
	Insecure bool
	// Live reports liveness for /healthz: an error means the process
	// cannot recover by itself and should be restarted. nil means always
	// live.
	Live func() error
	// Ready reports readiness for /readyz (NATS connected, stream ensured);
	// nil means always ready.
	Ready func() error
	// Metrics serves /metrics; nil leaves /metrics unrouted (404).
	Metrics http.Handler
	// NotifySecret is the Transloadit Auth Secret that signs notifications
	// to /v1/notify; empty answers every notification 404 NOTIFY_DISABLED.
	NotifySecret string
	// NotifyMaxBytes bounds a notification's body; default
	// DefaultNotifyMaxBytes. A larger one answers 413.
	NotifyMaxBytes int64
	// NotifyConcurrency bounds the notifications read at once; default
	// DefaultNotifyConcurrency. Past it, 503 with Retry-After.
	NotifyConcurrency int
	// NotifyMaxAge refuses, with 409, a notification of an Assembly that
	// last moved longer ago; default DefaultNotifyMaxAge.
	NotifyMaxAge time.Duration
	// Now is the clock notification ages are measured on; nil is time.Now.
	Now func() time.Time
}

func (c *HTTPConfig) setDefaults() {
	if c.NotifyMaxBytes <= 0 {
		c.NotifyMaxBytes = DefaultNotifyMaxBytes
	}
	if c.NotifyConcurrency <= 0 {
		c.NotifyConcurrency = DefaultNotifyConcurrency
	}
	if c.NotifyMaxAge <= 0 {
		c.NotifyMaxAge = DefaultNotifyMaxAge
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// NewHTTPHandler returns the bridge's HTTP API:
//
//	GET    /healthz           200 unless cfg.Live reports an error (503)
//	GET    /readyz            200 when cfg.Ready returns nil, else 503
//	GET    /metrics           cfg.Metrics
//	POST   /v1/watches        body: WatchRequest; reply: WatchReply;
//	                          ?replay=true publishes again (see WatchRequest.Replay)
//	GET    /v1/watches        {"watches": [WatchInfo...]}
//	GET    /v1/watches/{id}   WatchInfo
//	DELETE /v1/watches/{id}   WatchReply; the watch ends with watch.canceled
//	POST   /v1/notify         a Transloadit notification (see [Manager.Notify])
//
// A new watch answers 201, an existing one 200 (the request is
// idempotent). Refusals carry a WatchReply with the error code and the
// status of [WatchError.HTTPStatus]: 400, 401, 403, 404, 409, 413, 429 or
// 503; a body over 64 KiB answers 413. Without a token (and without
// Insecure) the /v1/watches routes answer 404 API_DISABLED. The handler is
// safe for concurrent use.
func NewHTTPHandler(m *Manager, cfg HTTPConfig) http.Handler {
	cfg.setDefaults()
	h := &httpAPI{m: m, live: cfg.Live, ready: cfg.Ready, notifySecret: cfg.NotifySecret,
		notifyMaxBytes: cfg.NotifyMaxBytes, notifyMaxAge: cfg.NotifyMaxAge, now: cfg.Now,
		notifySlots: make(chan struct{}, cfg.NotifyConcurrency), apiOff: cfg.Token == "" && !cfg.Insecure}
	if cfg.Token != "" {
		sum := sha256.Sum256([]byte(cfg.Token))
		h.tokenSum = sum[:]
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", cfg.Metrics)
	}
	mux.Handle("POST /v1/watches", h.auth(h.postWatch))
	mux.Handle("GET /v1/watches", h.auth(h.listWatches))
	mux.Handle("GET /v1/watches/{id}", h.auth(h.getWatch))
	mux.Handle("DELETE /v1/watches/{id}", h.auth(h.deleteWatch))
	// Transloadit cannot send our bearer token; the signature is the
	// notification's authentication.
	mux.HandleFunc("POST /v1/notify", h.notify)
	return mux
}

type httpAPI struct {
	m              *Manager
	live           func() error
	ready          func() error
	tokenSum       []byte // SHA-256 of the bearer token; nil when none is required
	apiOff         bool   // no token and not insecure: /v1/watches is off
	notifySecret   string
	notifyMaxBytes int64
	notifyMaxAge   time.Duration
	notifySlots    chan struct{} // one token per notification being read
	now            func() time.Time
}

func (h *httpAPI) healthz(w http.ResponseWriter, _ *http.Request) {
	if h.live != nil {
		if err := h.live(); err != nil {
			writeAPIText(w, http.StatusServiceUnavailable, "not live: "+err.Error())
			return
		}
	}
	writeAPIText(w, http.StatusOK, "ok")
}

func (h *httpAPI) readyz(w http.ResponseWriter, _ *http.Request) {
	if h.ready != nil {
		if err := h.ready(); err != nil {
			writeAPIText(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
	}
	writeAPIText(w, http.StatusOK, "ok")
}

// auth admits a request carrying the configured bearer token. Both sides
// are hashed first, so the constant-time compare does not leak the
// token's length either. Without a token the routes are off unless the
// API was opened on purpose.
func (h *httpAPI) auth(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.apiOff {
			writeAPIError(w, &WatchError{CodeAPIDisabled,
				"the watch API is off: set TLBRIDGE_HTTP_TOKEN (or TLBRIDGE_HTTP_INSECURE=true on a private address)"})
			return
		}
		if h.tokenSum != nil {
			got := sha256.Sum256([]byte(requestBearerToken(r)))
			if subtle.ConstantTimeCompare(got[:], h.tokenSum) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="tlbridge"`)
				writeAPIError(w, &WatchError{CodeUnauthorized, "a valid bearer token is required"})
				return
			}
		}
		next(w, r)
	})
}

func requestBearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

func (h *httpAPI) postWatch(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWatchRequest))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeAPIError(w, &WatchError{CodeTooLarge, fmt.Sprintf("request larger than %d bytes", maxWatchRequest)})
		return
	case err != nil:
		writeAPIError(w, &WatchError{CodeInvalidRequest, "reading the request: " + err.Error()})
		return
	}
	req, err := DecodeWatchRequest(body)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	if r.URL.Query().Get("replay") == "true" {
		req.Replay = true
	}
	// 200 versus 201 is advisory: two racing first requests may both see
	// 201, yet they still share one worker.
	reply, existed, err := h.m.watch(r.Context(), req)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	code := http.StatusCreated
	if existed {
		code = http.StatusOK
	}
	writeAPIJSON(w, code, reply)
}

func (h *httpAPI) listWatches(w http.ResponseWriter, r *http.Request) {
	list, err := h.m.Watches(r.Context())
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeAPIJSON(w, http.StatusOK, struct {
		Watches []WatchInfo `json:"watches"`
	}{list})
}

func (h *httpAPI) getWatch(w http.ResponseWriter, r *http.Request) {
	id, ok := apiPathAssemblyID(w, r)
	if !ok {
		return
	}
	info, found, err := h.m.Lookup(r.Context(), id)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	if !found {
		writeAPIError(w, &WatchError{CodeNotFound, "assembly " + id + " is not watched"})
		return
	}
	writeAPIJSON(w, http.StatusOK, info)
}

func (h *httpAPI) deleteWatch(w http.ResponseWriter, r *http.Request) {
	id, ok := apiPathAssemblyID(w, r)
	if !ok {
		return
	}
	reply, err := h.m.Cancel(r.Context(), id, "http "+r.RemoteAddr)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeAPIJSON(w, http.StatusOK, reply)
}

// apiPathAssemblyID validates the {id} path segment, answering 400 itself
// when it is not an Assembly ID.
func apiPathAssemblyID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if !transloadit.ValidAssemblyID(id) {
		writeAPIError(w, &WatchError{CodeInvalidAssemblyID, "assembly id must be 32 lower-case hex characters"})
		return "", false
	}
	return id, true
}

func writeAPIError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var we *WatchError
	if errors.As(err, &we) {
		code = we.HTTPStatus()
	}
	writeAPIJSON(w, code, ErrorReply(err))
}

func writeAPIJSON(w http.ResponseWriter, code int, v any) {
	b, err := encodeReply(v)
	if err != nil {
		writeAPIText(w, http.StatusInternalServerError, "encoding the reply failed")
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// encodeReply encodes a JSON reply, newline-terminated, without escaping
// HTML: replies carry subjects like "….>", which no browser renders.
func encodeReply(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeAPIText(w http.ResponseWriter, code int, msg string) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg+"\n")
}
