package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas/schematest"
)

// httpAPI is the HTTP handler over a real Manager (simulator + memory
// publisher), served on loopback.
type httpAPI struct {
	srv *transloadittest.Server
	m   *bridge.Manager
	ts  *httptest.Server
}

type httpAPIOptions struct {
	token      string
	closed     bool // no token and not opened on purpose: the API is off
	maxWatches int
	ready      func() error
	metrics    http.Handler
}

func newHTTPAPI(t *testing.T, o httpAPIOptions) *httpAPI {
	t.Helper()
	// A slow tick keeps the Assemblies running while a test inspects them.
	srv := transloadittest.NewServer(transloadittest.WithTick(500 * time.Millisecond))
	t.Cleanup(srv.Close)
	p, err := poller.New(poller.Config{APIBase: srv.URL, AllowList: srv.AllowList()})
	if err != nil {
		t.Fatal(err)
	}
	pub := publish.NewMemory(publish.MemoryConfig{})
	m, err := bridge.NewManager(bridge.ManagerConfig{
		Poller: p, Publisher: pub, AllowList: srv.AllowList(),
		Instance: "http-test", MaxWatches: o.maxWatches, Logger: zaptest.NewLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(bridge.NewHTTPHandler(m, bridge.HTTPConfig{Token: o.token, Insecure: o.token == "" && !o.closed, Ready: o.ready, Metrics: o.metrics}))
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Shutdown(ctx); err != nil {
			t.Errorf("Manager.Shutdown: %v", err)
		}
		if err := pub.Close(ctx); err != nil {
			t.Errorf("publisher Close: %v", err)
		}
		for _, msg := range pub.Messages() {
			schematest.Check(t, msg.Data)
		}
	})
	return &httpAPI{srv: srv, m: m, ts: ts}
}

// newAssembly creates a long-running simulated Assembly and returns its ID.
func (a *httpAPI) newAssembly(t *testing.T) string {
	t.Helper()
	st, err := a.srv.Create(context.Background(), transloadittest.Script{})
	if err != nil {
		t.Fatal(err)
	}
	return st.AssemblyID
}

type httpResult struct {
	code   int
	header http.Header
	body   []byte
}

func (a *httpAPI) do(t *testing.T, method, path, token string, body io.Reader) httpResult {
	t.Helper()
	req, err := http.NewRequest(method, a.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return httpResult{resp.StatusCode, resp.Header, b}
}

func (a *httpAPI) post(t *testing.T, token, body string) httpResult {
	t.Helper()
	return a.do(t, http.MethodPost, "/v1/watches", token, strings.NewReader(body))
}

// reply decodes a WatchReply strictly: the API must not send more.
func (r httpResult) reply(t *testing.T) bridge.WatchReply {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	var rep bridge.WatchReply
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("reply %q is not a WatchReply: %v", r.body, err)
	}
	return rep
}

// wantError checks an error reply's status and code.
func (r httpResult) wantError(t *testing.T, code int, errCode string) {
	t.Helper()
	rep := r.reply(t)
	if r.code != code || rep.OK || rep.Error != errCode || rep.Message == "" {
		t.Errorf("got %d %+v; want %d with error %s and a message", r.code, rep, code, errCode)
	}
}

func watchBody(id string, extra ...string) string {
	return `{"assembly_id":"` + id + `"` + strings.Join(extra, "") + `}`
}

func TestHTTPWatchLifecycle(t *testing.T) {
	a := newHTTPAPI(t, httpAPIOptions{})
	id := a.newAssembly(t)

	first := a.post(t, "", watchBody(id))
	want := bridge.WatchReply{OK: true, AssemblyID: id, Subject: "transloadit.v1.assemblies." + id + ".>"}
	if got := first.reply(t); first.code != http.StatusCreated || got != want {
		t.Fatalf("POST new watch = %d %+v; want 201 %+v", first.code, got, want)
	}
	again := a.post(t, "", watchBody(id))
	if got := again.reply(t); again.code != http.StatusOK || got != want {
		t.Errorf("POST same watch again = %d %+v; want 200 %+v", again.code, got, want)
	}

	list := a.do(t, http.MethodGet, "/v1/watches", "", nil)
	var listed struct{ Watches []bridge.WatchInfo }
	if err := json.Unmarshal(list.body, &listed); err != nil || list.code != http.StatusOK {
		t.Fatalf("GET /v1/watches = %d %s (%v)", list.code, list.body, err)
	}
	if len(listed.Watches) != 1 || listed.Watches[0].AssemblyID != id || listed.Watches[0].Subject != want.Subject {
		t.Errorf("GET /v1/watches = %+v; want the one watch of %s", listed.Watches, id)
	}

	one := a.do(t, http.MethodGet, "/v1/watches/"+id, "", nil)
	var info bridge.WatchInfo
	if err := json.Unmarshal(one.body, &info); err != nil || one.code != http.StatusOK {
		t.Fatalf("GET /v1/watches/%s = %d %s (%v)", id, one.code, one.body, err)
	}
	if info.AssemblyID != id || info.StartedAt.IsZero() {
		t.Errorf("GET /v1/watches/%s = %+v; want its watch", id, info)
	}

	del := a.do(t, http.MethodDelete, "/v1/watches/"+id, "", nil)
	if got := del.reply(t); del.code != http.StatusOK || !got.OK || got.AssemblyID != id {
		t.Errorf("DELETE /v1/watches/%s = %d %+v; want 200 ok", id, del.code, got)
	}
	// The worker stops asynchronously; once it has, the watch is gone.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.m.Wait(ctx, id); err != nil {
		t.Fatalf("Wait after DELETE: %v", err)
	}
	a.do(t, http.MethodGet, "/v1/watches/"+id, "", nil).wantError(t, http.StatusNotFound, bridge.CodeNotFound)
	a.do(t, http.MethodDelete, "/v1/watches/"+id, "", nil).wantError(t, http.StatusNotFound, bridge.CodeNotFound)
}

func TestHTTPWatchErrors(t *testing.T) {
	a := newHTTPAPI(t, httpAPIOptions{maxWatches: 1})
	id := a.newAssembly(t)
	other := a.newAssembly(t)
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		code    int
		errCode string
	}{
		{"malformed json", "POST", "/v1/watches", `{"assembly_id":`, 400, bridge.CodeInvalidRequest},
		{"not an object", "POST", "/v1/watches", `["` + id + `"]`, 400, bridge.CodeInvalidRequest},
		{"empty body", "POST", "/v1/watches", ``, 400, bridge.CodeInvalidRequest},
		{"unknown field", "POST", "/v1/watches", watchBody(id, `,"notify_url":"x"`), 400, bridge.CodeInvalidRequest},
		{"trailing data", "POST", "/v1/watches", watchBody(id) + `{}`, 400, bridge.CodeInvalidRequest},
		{"body too large", "POST", "/v1/watches", watchBody(id, `,"update_stream_url":"`+strings.Repeat("a", 64<<10)+`"`), 413, bridge.CodeTooLarge},
		{"invalid id", "POST", "/v1/watches", watchBody("not-an-id"), 400, bridge.CodeInvalidAssemblyID},
		{"url not allowed", "POST", "/v1/watches", watchBody(id, `,"assembly_ssl_url":"https://evil.example/assemblies/`+id+`"`), 403, bridge.CodeURLNotAllowed},
		{"url of another assembly", "POST", "/v1/watches", watchBody(id, `,"assembly_ssl_url":"`+a.srv.MachineURL+`/assemblies/`+other+`"`), 400, bridge.CodeInvalidRequest},
		{"get invalid id", "GET", "/v1/watches/XYZ", ``, 400, bridge.CodeInvalidAssemblyID},
		{"delete invalid id", "DELETE", "/v1/watches/XYZ", ``, 400, bridge.CodeInvalidAssemblyID},
		{"get unknown", "GET", "/v1/watches/" + id, ``, 404, bridge.CodeNotFound},
		{"delete unknown", "DELETE", "/v1/watches/" + id, ``, 404, bridge.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.do(t, tt.method, tt.path, "", strings.NewReader(tt.body)).wantError(t, tt.code, tt.errCode)
		})
	}
	if len(a.m.List()) != 0 {
		t.Fatalf("refused requests started watches: %+v", a.m.List())
	}

	t.Run("too many watches", func(t *testing.T) {
		if r := a.post(t, "", watchBody(id)); r.code != http.StatusCreated {
			t.Fatalf("first watch = %d %s; want 201", r.code, r.body)
		}
		r := a.post(t, "", watchBody(other))
		r.wantError(t, http.StatusTooManyRequests, bridge.CodeTooManyWatches)
		// The watch that exists is still idempotent at the limit.
		if r := a.post(t, "", watchBody(id)); r.code != http.StatusOK {
			t.Errorf("repeat at the limit = %d %s; want 200", r.code, r.body)
		}
	})
	t.Run("shutting down", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.m.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		a.post(t, "", watchBody(other)).wantError(t, http.StatusServiceUnavailable, bridge.CodeShuttingDown)
	})
	t.Run("method not allowed", func(t *testing.T) {
		if r := a.do(t, http.MethodPut, "/v1/watches", "", strings.NewReader(watchBody(id))); r.code != http.StatusMethodNotAllowed {
			t.Errorf("PUT /v1/watches = %d; want 405", r.code)
		}
	})
}

func TestHTTPToken(t *testing.T) {
	const token = "s3cret-token"
	a := newHTTPAPI(t, httpAPIOptions{token: token})
	id := a.newAssembly(t)

	for _, tt := range []struct {
		name, method, path, body string
	}{
		{"post", "POST", "/v1/watches", watchBody(id)},
		{"list", "GET", "/v1/watches", ""},
		{"get", "GET", "/v1/watches/" + id, ""},
		{"delete", "DELETE", "/v1/watches/" + id, ""},
	} {
		for _, tok := range []string{"", "wrong", token + "x", token[:len(token)-1]} {
			r := a.do(t, tt.method, tt.path, tok, strings.NewReader(tt.body))
			r.wantError(t, http.StatusUnauthorized, bridge.CodeUnauthorized)
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s with token %q: WWW-Authenticate = %q; want a Bearer challenge", tt.name, tok, r.header.Get("WWW-Authenticate"))
			}
		}
	}
	if n := len(a.m.List()); n != 0 {
		t.Fatalf("unauthorized requests started %d watches", n)
	}

	if r := a.post(t, token, watchBody(id)); r.code != http.StatusCreated {
		t.Errorf("POST with the token = %d %s; want 201", r.code, r.body)
	}
	// The scheme is case-insensitive (RFC 9110).
	req, _ := http.NewRequest(http.MethodGet, a.ts.URL+"/v1/watches/"+id, nil)
	req.Header.Set("Authorization", "bearer "+token)
	resp, err := a.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET with scheme %q = %d; want 200", "bearer", resp.StatusCode)
	}
	// Probes never need the token.
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := a.do(t, http.MethodGet, p, "", nil); r.code != http.StatusOK {
			t.Errorf("GET %s without token = %d; want 200", p, r.code)
		}
	}
}

func TestHTTPHealthReadyMetrics(t *testing.T) {
	var notReady error = errors.New("nats RECONNECTING")
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "tlbridge_up 1\n") })
	a := newHTTPAPI(t, httpAPIOptions{ready: func() error { return notReady }, metrics: metrics})

	if r := a.do(t, http.MethodGet, "/healthz", "", nil); r.code != http.StatusOK {
		t.Errorf("GET /healthz while not ready = %d; want 200 (liveness never checks NATS)", r.code)
	}
	r := a.do(t, http.MethodGet, "/readyz", "", nil)
	if r.code != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "nats RECONNECTING") {
		t.Errorf("GET /readyz while not ready = %d %q; want 503 naming the reason", r.code, r.body)
	}
	if r := a.do(t, http.MethodGet, "/metrics", "", nil); r.code != http.StatusOK || string(r.body) != "tlbridge_up 1\n" {
		t.Errorf("GET /metrics = %d %q; want the metrics handler's answer", r.code, r.body)
	}

	b := newHTTPAPI(t, httpAPIOptions{})
	if r := b.do(t, http.MethodGet, "/readyz", "", nil); r.code != http.StatusOK {
		t.Errorf("GET /readyz with no Ready func = %d; want 200", r.code)
	}
	if r := b.do(t, http.MethodGet, "/metrics", "", nil); r.code != http.StatusNotFound {
		t.Errorf("GET /metrics with no Metrics handler = %d; want 404", r.code)
	}
}

// Without a token the watch API is off unless opened on purpose: nothing
// is started, listed or deleted, while the probes still answer.
func TestHTTPOffWithoutToken(t *testing.T) {
	a := newHTTPAPI(t, httpAPIOptions{closed: true})
	id := a.newAssembly(t)
	for _, tt := range []struct{ method, path, body string }{
		{"POST", "/v1/watches", watchBody(id)},
		{"GET", "/v1/watches", ""},
		{"GET", "/v1/watches/" + id, ""},
		{"DELETE", "/v1/watches/" + id, ""},
	} {
		r := a.do(t, tt.method, tt.path, "", strings.NewReader(tt.body))
		r.wantError(t, http.StatusNotFound, bridge.CodeAPIDisabled)
		if rep := r.reply(t); !strings.Contains(rep.Message, "TLBRIDGE_HTTP_TOKEN") {
			t.Errorf("%s %s: message %q does not name the variable", tt.method, tt.path, rep.Message)
		}
	}
	if n := a.m.Active(); n != 0 {
		t.Errorf("%d watches started", n)
	}
	if n := len(a.srv.StatusRequests(id)); n != 0 {
		t.Errorf("%d upstream status requests; want none", n)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := a.do(t, http.MethodGet, p, "", nil); r.code != http.StatusOK {
			t.Errorf("GET %s = %d; want 200", p, r.code)
		}
	}
}

// Replies are written as a person reads them: the subject's ".>" is not
// escaped to "\u003e".
func TestHTTPReplyNotHTMLEscaped(t *testing.T) {
	a := newHTTPAPI(t, httpAPIOptions{})
	r := a.post(t, "", watchBody(a.newAssembly(t)))
	if !bytes.Contains(r.body, []byte(`.>"`)) || bytes.Contains(r.body, []byte(`\u003e`)) {
		t.Errorf("reply %s; want the subject with a literal .>", r.body)
	}
}
