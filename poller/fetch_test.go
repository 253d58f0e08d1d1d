package poller_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/poller"
)

// TestFetchBodyShapes: the answer is judged by its body. An Assembly error
// is a status (nil error) whatever the HTTP code; not-found, malformed and
// refusals are typed errors; none of these is retried.
func TestFetchBodyShapes(t *testing.T) {
	seed := string(seedStatus(t))
	tests := []struct {
		name        string
		code        int
		body        string
		wantOutcome transloadit.Outcome // when wantErr is nil
		wantCode    string              // the status's error member
		wantErr     error
	}{
		{name: "seed completed status", code: 200, body: seed, wantOutcome: transloadit.OutcomeCompleted},
		{name: "running", code: 200, body: runningBody, wantOutcome: transloadit.OutcomeRunning},
		{name: "error in 200 with ok null", code: 200,
			body:        `{"ok":null,"error":"ASSEMBLY_EXPIRED","message":"The Assembly expired.","http_code":200,"assembly_id":"` + testID + `","uploads":[],"results":{}}`,
			wantOutcome: transloadit.OutcomeFailed, wantCode: "ASSEMBLY_EXPIRED"},
		{name: "error in 200 without ok", code: 200,
			body:        `{"error":"INTERNAL_COMMAND_ERROR","message":"boom","assembly_id":"` + testID + `"}`,
			wantOutcome: transloadit.OutcomeFailed, wantCode: "INTERNAL_COMMAND_ERROR"},
		{name: "error in 200 with a stale ok", code: 200,
			body:        `{"ok":"ASSEMBLY_EXECUTING","error":"ASSEMBLY_CRASHED","assembly_id":"` + testID + `"}`,
			wantOutcome: transloadit.OutcomeFailed, wantCode: "ASSEMBLY_CRASHED"},
		{name: "system error shape", code: 200,
			body:        `{"errno":-2,"code":"ENOENT","syscall":"open","path":"/var/transloadit/x"}`,
			wantOutcome: transloadit.OutcomeFailed},
		{name: "the assembly's error in a 400", code: 400,
			body:        `{"error":"FILE_FILTER_DECLINED_FILE","message":"declined","assembly_id":"` + testID + `"}`,
			wantOutcome: transloadit.OutcomeFailed, wantCode: "FILE_FILTER_DECLINED_FILE"},
		{name: "the assembly's error in a 500", code: 500,
			body:        `{"error":"INTERNAL_COMMAND_ERROR","message":"crash","http_code":500,"assembly_id":"` + testID + `","ok":null}`,
			wantOutcome: transloadit.OutcomeFailed, wantCode: "INTERNAL_COMMAND_ERROR"},
		{name: "the assembly's error in a 404", code: 404,
			body:        `{"error":"IMPORT_FILE_NOT_FOUND","message":"no such file","assembly_id":"` + testID + `"}`,
			wantOutcome: transloadit.OutcomeFailed, wantCode: "IMPORT_FILE_NOT_FOUND"},
		{name: "not found in 404", code: 404,
			body: `{"error":"ASSEMBLY_NOT_FOUND","message":"Assembly not found"}`, wantErr: poller.ErrAssemblyNotFound},
		{name: "status not found in 200", code: 200,
			body: `{"error":"ASSEMBLY_STATUS_NOT_FOUND"}`, wantErr: poller.ErrAssemblyNotFound},
		{name: "truncated JSON", code: 200, body: `{"ok":"ASSEMBLY_EXEC`, wantErr: poller.ErrMalformed},
		{name: "html in 200", code: 200, body: `<html>captive portal</html>`, wantErr: transloadit.ErrMalformedStatus},
		{name: "JSON array", code: 200, body: `[1,2]`, wantErr: poller.ErrMalformed},
		{name: "empty object", code: 200, body: `{}`, wantErr: poller.ErrMalformed},
		{name: "empty body", code: 200, body: ``, wantErr: poller.ErrMalformed},
		{name: "status of another assembly", code: 200,
			body: `{"ok":"ASSEMBLY_COMPLETED","assembly_id":"` + otherID + `"}`, wantErr: poller.ErrMalformed},
		{name: "refusal without the assembly", code: 401,
			body: `{"error":"INVALID_SIGNATURE","message":"nope"}`, wantErr: &retry.StatusError{}},
		{name: "unknown route on the origin", code: 404,
			body: `{"error":"SERVER_404","message":"unknown method / url"}`, wantErr: &retry.StatusError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, sequence(reply(tt.code, tt.body)))
			p, rec, _ := newPoller(t, up.URL, nil)
			st, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID})
			if up.count() != 1 {
				t.Errorf("requests = %d; want 1 (no retry)", up.count())
			}
			if len(rec.Outcomes()) != 1 {
				t.Errorf("OnRequest calls = %v; want one", rec.Outcomes())
			}
			if tt.wantErr != nil {
				checkErr(t, st, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("Fetch() error = %v; want a status", err)
			}
			if got := st.Outcome(); got != tt.wantOutcome {
				t.Errorf("Fetch().Outcome() = %v; want %v", got, tt.wantOutcome)
			}
			if st.Error != tt.wantCode {
				t.Errorf("Fetch().Error = %q; want %q", st.Error, tt.wantCode)
			}
		})
	}
}

// checkErr asserts that err matches want: by errors.Is for a sentinel, by
// errors.As for a *retry.StatusError.
func checkErr(t *testing.T, st *transloadit.Status, err, want error) {
	t.Helper()
	if st != nil {
		t.Errorf("Fetch() status = %+v; want nil", st)
	}
	if _, ok := want.(*retry.StatusError); ok {
		var se *retry.StatusError
		if !errors.As(err, &se) {
			t.Fatalf("Fetch() error = %v; want a *retry.StatusError", err)
		}
		if errors.Is(err, poller.ErrAssemblyNotFound) || errors.Is(err, poller.ErrRateLimited) || poller.IsTransient(err) {
			t.Errorf("Fetch() error = %v; want a plain refusal", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("Fetch() error = %v; want %v", err, want)
	}
}

func TestFetchNotFoundCarriesTheAnswer(t *testing.T) {
	up := newUpstream(t, sequence(reply(404, `{"error":"ASSEMBLY_NOT_FOUND","message":"gone"}`)))
	p, rec, _ := newPoller(t, up.URL, nil)
	_, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID})
	var se *retry.StatusError
	if !errors.As(err, &se) || se.Code != 404 || se.TransloaditCode != transloadit.CodeNotFound || se.Message != "gone" {
		t.Fatalf("Fetch() error = %#v; want *StatusError{404, ASSEMBLY_NOT_FOUND, gone}", err)
	}
	if got := rec.Outcomes(); len(got) != 1 || got[0] != poller.OutcomeNotFound {
		t.Errorf("outcomes = %v; want [not_found]", got)
	}
	if poller.IsTransient(err) {
		t.Errorf("IsTransient(%v) = true; want false", err)
	}
}

func TestFetchSendsUserAgent(t *testing.T) {
	up := newUpstream(t, sequence(reply(200, runningBody)))
	p, _, _ := newPoller(t, up.URL, nil)
	if _, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID}); err != nil {
		t.Fatal(err)
	}
	r := up.request(0)
	if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "tlbridge/") || ua != poller.DefaultUserAgent() {
		t.Errorf("User-Agent = %q; want %q", ua, poller.DefaultUserAgent())
	}
	if r.URL.Path != "/assemblies/"+testID || r.Method != http.MethodGet {
		t.Errorf("request = %s %s; want GET /assemblies/%s", r.Method, r.URL.Path, testID)
	}
}

func TestFetchBodyBound(t *testing.T) {
	const limit = 1024
	exact := `{"ok":"ASSEMBLY_EXECUTING"}`
	exact += strings.Repeat(" ", limit-len(exact))
	big := `{"ok":"ASSEMBLY_EXECUTING","pad":"` + strings.Repeat("x", 4*limit) + `"}`
	tests := []struct {
		name    string
		answer  func(w http.ResponseWriter)
		wantErr error
	}{
		{name: "announced length over the bound", answer: reply(200, big), wantErr: poller.ErrBodyTooLarge},
		{name: "streamed body over the bound", answer: func(w http.ResponseWriter) {
			w.WriteHeader(200)
			for i := 0; i < 8; i++ { // flushed chunks: no Content-Length
				w.Write([]byte(big[i*limit/2 : (i+1)*limit/2]))
				w.(http.Flusher).Flush()
			}
		}, wantErr: poller.ErrBodyTooLarge},
		{name: "error body over the bound", answer: reply(404, `{"error":"X","pad":"`+strings.Repeat("x", 4*limit)+`"}`), wantErr: poller.ErrBodyTooLarge},
		{name: "exactly the bound", answer: reply(200, exact)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, sequence(tt.answer))
			p, _, _ := newPoller(t, up.URL, func(c *poller.Config) { c.MaxBodyBytes = limit })
			st, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID})
			if tt.wantErr == nil {
				if err != nil || st.OK != transloadit.StateExecuting {
					t.Fatalf("Fetch() = %v, %v; want the running status", st, err)
				}
				return
			}
			checkErr(t, st, err, tt.wantErr)
			if up.count() != 1 {
				t.Errorf("requests = %d; want 1", up.count())
			}
		})
	}
}

// TestFetchLargeFailedStatusIn5xx: a failed Assembly's status served with
// a 5xx is read whole, however long, and returned as its status.
func TestFetchLargeFailedStatusIn5xx(t *testing.T) {
	body := `{"error":"INTERNAL_COMMAND_ERROR","assembly_id":"` + testID + `","pad":"` + strings.Repeat("x", 200<<10) + `"}`
	up := newUpstream(t, sequence(reply(500, body)))
	p, _, _ := newPoller(t, up.URL, nil)
	st, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID})
	if err != nil || st.Error != transloadit.CodeInternalCommandErr {
		t.Fatalf("Fetch() = %v, %v; want the failed status", st, err)
	}
	if up.count() != 1 {
		t.Errorf("requests = %d; want 1", up.count())
	}
}

// TestFetchPermanent: answers no retry can fix match ErrPermanent after a
// single request, so a caller can back off and give up; rate limits,
// not-found and exhausted retries of 5xx do not.
func TestFetchPermanent(t *testing.T) {
	tests := []struct {
		name string
		code int
		body string
		want bool
	}{
		{"forbidden", 403, `{"error":"ACCESS_DENIED"}`, true},
		{"bad request in html", 400, `<html>bad request</html>`, true},
		{"signature refused", 401, `{"error":"INVALID_SIGNATURE"}`, true},
		{"gone", 410, `gone`, true},
		{"decode error", 200, `{"ok":"ASSEMBLY_EXEC`, true},
		{"not a status", 200, `[1,2]`, true},
		{"body over the bound", 200, `{"ok":"ASSEMBLY_EXECUTING","assembly_id":"` + testID + `","pad":"` + strings.Repeat("x", 2048) + `"}`, true},
		{"not found", 404, `{"error":"ASSEMBLY_NOT_FOUND"}`, false},
		{"rate limited", 429, `{"error":"RATE_LIMIT_REACHED","info":{"retryIn":0.01}}`, false},
		{"server error", 503, `busy`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, sequence(reply(tt.code, tt.body)))
			p, _, _ := newPoller(t, up.URL, func(c *poller.Config) {
				c.MaxBodyBytes = 1024
				c.MaxRetries = 1
			})
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			_, err := p.Fetch(ctx, poller.Target{AssemblyID: testID})
			if err == nil || errors.Is(err, poller.ErrPermanent) != tt.want {
				t.Fatalf("Fetch() = %v; want ErrPermanent %v", err, tt.want)
			}
			if tt.want && up.count() != 1 {
				t.Errorf("requests = %d; want 1", up.count())
			}
		})
	}
}
