package bridge_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/poller"
	"go.uber.org/zap"
)

// hostileRig is a bridge configured as in production (only
// transloadit.com, https only) whose poller would fetch from a
// simulator, so any request that got through would show up there.
type hostileRig struct {
	srv *transloadittest.Server
	m   *bridge.Manager
	pub *publish.Memory
	ts  *httptest.Server
}

func newHostileRig(t testing.TB) *hostileRig {
	t.Helper()
	srv := transloadittest.NewServer()
	t.Cleanup(srv.Close)
	prod := transloadit.AllowList{HostSuffixes: []string{"transloadit.com"}}
	p, err := poller.New(poller.Config{APIBase: srv.URL, AllowList: srv.AllowList()})
	if err != nil {
		t.Fatal(err)
	}
	pub := publish.NewMemory(publish.MemoryConfig{})
	m, err := bridge.NewManager(bridge.ManagerConfig{
		Poller: p, Publisher: pub, AllowList: prod, Instance: "hostile", Logger: zap.NewNop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(bridge.NewHTTPHandler(m, bridge.HTTPConfig{Token: "tok", NotifySecret: notifySecret}))
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.Shutdown(ctx)
		_ = pub.Close(ctx)
	})
	return &hostileRig{srv: srv, m: m, pub: pub, ts: ts}
}

// TestHostileWatchRequests: every request an attacker or a broken client
// sent is refused with a clear code, and nothing happens because of it: no
// upstream request, no worker, no event.
func TestHostileWatchRequests(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	ssl := func(u string) string { return `{"assembly_id":"` + id + `","assembly_ssl_url":"` + u + `"}` }
	sse := func(u string) string { return `{"assembly_id":"` + id + `","update_stream_url":"` + u + `"}` }
	tests := []struct {
		name string
		body string
		code int
		want string
	}{
		// Malformed JSON.
		{"not json", `{`, 400, bridge.CodeInvalidRequest},
		{"array", `[]`, 400, bridge.CodeInvalidRequest},
		{"string", `"x"`, 400, bridge.CodeInvalidRequest},
		{"number id", `{"assembly_id":1}`, 400, bridge.CodeInvalidRequest},
		{"trailing data", `{"assembly_id":"` + id + `"} {}`, 400, bridge.CodeInvalidRequest},
		{"unknown member", `{"assembly_id":"` + id + `","admin":true}`, 400, bridge.CodeInvalidRequest},
		{"member in another case", `{"Assembly_ID":"` + id + `"}`, 400, bridge.CodeInvalidRequest},
		{"duplicate member", `{"assembly_id":"` + id + `","assembly_id":"` + strings.Repeat("b", 32) + `"}`, 400, bridge.CodeInvalidRequest},
		{"oversized", `{"assembly_id":"` + id + `","update_stream_url":"` + strings.Repeat("a", 70<<10) + `"}`, 413, bridge.CodeTooLarge},
		// Wildcard and unicode IDs: they would become subject tokens.
		{"wildcard", `{"assembly_id":"*"}`, 400, bridge.CodeInvalidAssemblyID},
		{"tail wildcard", `{"assembly_id":">"}`, 400, bridge.CodeInvalidAssemblyID},
		{"dotted", `{"assembly_id":"0123456789abcdef.0123456789abcde"}`, 400, bridge.CodeInvalidAssemblyID},
		{"upper case", `{"assembly_id":"` + strings.ToUpper(id) + `"}`, 400, bridge.CodeInvalidAssemblyID},
		{"fullwidth digits", `{"assembly_id":"０123456789abcdef0123456789abcde"}`, 400, bridge.CodeInvalidAssemblyID},
		{"short", `{"assembly_id":"0123"}`, 400, bridge.CodeInvalidAssemblyID},
		// IP literals and host tricks against the allow list.
		{"loopback", ssl("https://127.0.0.1/assemblies/" + id), 403, bridge.CodeURLNotAllowed},
		{"ipv6 loopback", ssl("https://[::1]/assemblies/" + id), 403, bridge.CodeURLNotAllowed},
		{"decimal ip", ssl("https://2130706433/assemblies/" + id), 403, bridge.CodeURLNotAllowed},
		{"hex ip", ssl("https://0x7f.0.0.1/assemblies/" + id), 403, bridge.CodeURLNotAllowed},
		{"metadata ip", ssl("https://169.254.169.254/assemblies/" + id), 403, bridge.CodeURLNotAllowed},
		{"suffix lookalike", ssl("https://api2.transloadit.com.evil.example/assemblies/" + id), 403, bridge.CodeURLNotAllowed},
		{"lookalike label", ssl("https://eviltransloadit.com/assemblies/" + id), 403, bridge.CodeURLNotAllowed},
		{"userinfo", ssl("https://user:pass@api2.transloadit.com/assemblies/" + id), 403, bridge.CodeURLNotAllowed},
		{"userinfo host swap", ssl("https://api2.transloadit.com@evil.example/assemblies/" + id), 403, bridge.CodeURLNotAllowed},
		{"plain http", ssl("http://api2.transloadit.com/assemblies/" + id), 403, bridge.CodeURLNotAllowed},
		{"other port", ssl("https://api2.transloadit.com:8443/assemblies/" + id), 403, bridge.CodeURLNotAllowed},
		{"other path", ssl("https://api2.transloadit.com/admin/secret/delete-everything"), 403, bridge.CodeURLNotAllowed},
		{"path traversal", ssl("https://api2.transloadit.com/assemblies/../admin/" + id), 403, bridge.CodeURLNotAllowed},
		{"query", ssl("https://api2.transloadit.com/assemblies/" + id + "?x=1"), 403, bridge.CodeURLNotAllowed},
		{"other assembly", ssl("https://api2.transloadit.com/assemblies/" + strings.Repeat("c", 32)), 400, bridge.CodeInvalidRequest},
		{"stream of anything", sse("https://api2.transloadit.com/anything?assembly=" + id), 403, bridge.CodeURLNotAllowed},
		{"stream on another port", sse("https://api2.transloadit.com:444/ws20013?assembly=" + id), 403, bridge.CodeURLNotAllowed},
		{"stream of another assembly", sse("https://api2.transloadit.com/ws20013?assembly=" + strings.Repeat("c", 32)), 400, bridge.CodeInvalidRequest},
	}
	rig := newHostileRig(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, rig.ts.URL+"/v1/watches", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer tok")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r := httpResult{code: resp.StatusCode, header: resp.Header, body: readAll(t, resp)}
			r.wantError(t, tt.code, tt.want)
		})
	}
	if n := rig.m.Active(); n != 0 {
		t.Errorf("%d workers exist; want none", n)
	}
	if n := len(rig.srv.StatusRequests(id)); n != 0 {
		t.Errorf("%d upstream status requests; want none", n)
	}
	if n := len(rig.pub.Messages()); n != 0 {
		t.Errorf("%d events published; want none", n)
	}
}

// FuzzDecodeWatchRequest: any input is a request with a valid shape or a
// typed refusal, never a panic; what is accepted re-validates the same.
func FuzzDecodeWatchRequest(f *testing.F) {
	f.Add([]byte(`{"assembly_id":"0123456789abcdef0123456789abcdef"}`))
	f.Add([]byte(`{"Assembly_ID":"x","assembly_id":"y"}`))
	f.Add([]byte(`{"assembly_id":"a","assembly_ssl_url":"https://api2.transloadit.com/assemblies/a"}`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := bridge.DecodeWatchRequest(data)
		if err != nil {
			if rep := bridge.ErrorReply(err); rep.Error != bridge.CodeInvalidRequest && rep.Error != bridge.CodeTooLarge {
				t.Fatalf("DecodeWatchRequest(%q) error code %q", data, rep.Error)
			}
			return
		}
		if req != (bridge.WatchRequest{}) && len(data) == 0 {
			t.Fatalf("empty input decoded to %+v", req)
		}
	})
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzNotification: whatever body and content type arrive at
// /v1/notify, the answer is a refusal with a code or, for a signed
// status, a reply; never a panic, never a 500.
func FuzzNotification(f *testing.F) {
	raw := `{"ok":"ASSEMBLY_COMPLETED","assembly_id":"0123456789abcdef0123456789abcdef"}`
	f.Add("application/x-www-form-urlencoded", "transloadit="+raw+"&signature="+transloadit.Sign(notifySecret, raw))
	f.Add("multipart/form-data; boundary=B", "--B\r\nContent-Disposition: form-data; name=\"transloadit\"\r\n\r\n{}\r\n--B--\r\n")
	f.Add("text/plain", "signature=x")
	rig := newHostileRig(f)
	h := bridge.NewHTTPHandler(rig.m, bridge.HTTPConfig{NotifySecret: notifySecret, NotifyMaxBytes: 64 << 10})
	f.Fuzz(func(t *testing.T, ctype, body string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/notify", strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("POST /v1/notify (%q, %q) = %d %s", ctype, body, rec.Code, rec.Body)
		}
	})
}
