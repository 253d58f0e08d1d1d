package poller

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// FuzzDecodeStatus feeds arbitrary answers to the status decoder: it must
// never panic, must give either a status or a typed error, and must accept
// as a status only what decodes as one.
func FuzzDecodeStatus(f *testing.F) {
	seed, err := os.ReadFile("../internal/transloadit/testdata/seed-status.json")
	if err != nil {
		f.Fatal(err)
	}
	id := "7828446e5acd4aa996dce3455ec914e9"
	for _, s := range []struct {
		code int
		body string
	}{
		{200, string(seed)},
		{200, `{"ok":"ASSEMBLY_EXECUTING","assembly_id":"` + id + `","results":{"a":[{"id":"x"}],"b":null}}`},
		{200, `{"ok":null,"error":"ASSEMBLY_EXPIRED","http_code":200}`},
		{500, `{"error":"INTERNAL_COMMAND_ERROR","assembly_id":"` + id + `"}`},
		{200, `{"errno":-2,"code":"ENOENT","syscall":"open"}`},
		{429, `{"error":"ASSEMBLY_STATUS_FETCHING_RATE_LIMIT_REACHED","info":{"retryIn":0.01}}`},
		{413, `{"error":"RATE_LIMIT_REACHED","info":{"retryIn":-1e308}}`},
		{429, `<html>429 Too Many Requests</html>`},
		{404, `{"error":"ASSEMBLY_NOT_FOUND"}`},
		{503, "\xff\xfe"},
		{200, `{"ok":"ASSEMBLY_COMPLETED","OK":"","uploads":[{"meta":null}],"bytes_expected":null}`},
		{200, `{"ok":`},
		{200, `null`},
	} {
		f.Add(s.code, []byte(s.body))
	}
	hint := func(retryIn float64) time.Duration { return retryHint(retryIn, "", t0) }
	f.Fuzz(func(t *testing.T, code int, body []byte) {
		st, decErr := transloadit.DecodeStatus(body)
		if decErr != nil && !errors.Is(decErr, transloadit.ErrMalformedStatus) {
			t.Fatalf("DecodeStatus error %v does not wrap ErrMalformedStatus", decErr)
		}
		for _, onMachine := range []bool{false, true} {
			v := classify(code, body, Target{AssemblyID: id}, onMachine, hint)
			checkVerdict(t, v)
			if v.kind == kindStatus && (decErr != nil || st.Outcome() != v.st.Outcome()) {
				t.Fatalf("classify accepted a status DecodeStatus judges otherwise (%v)", decErr)
			}
		}
	})
}

func checkVerdict(t *testing.T, v verdict) {
	t.Helper()
	if v.kind == kindStatus {
		if v.st == nil || v.err != nil {
			t.Fatalf("status verdict with st %v, err %v", v.st, v.err)
		}
		if v.st.Outcome() == transloadit.OutcomeRateLimited {
			t.Fatalf("a rate-limit body accepted as a status: %+v", v.st)
		}
		return
	}
	var se *retry.StatusError
	switch {
	case v.err == nil:
		t.Fatalf("verdict %v without an error", v.kind)
	case v.kind == kindNotFound && !errors.Is(v.err, ErrAssemblyNotFound):
		t.Fatalf("not-found verdict with %v", v.err)
	case v.kind == kindRateLimited && !errors.Is(v.err, ErrRateLimited):
		t.Fatalf("rate-limit verdict with %v", v.err)
	case v.kind == kindRateLimited && errors.As(v.err, &se) && se.RetryAfter < 0:
		t.Fatalf("negative retry hint %v", se.RetryAfter)
	case !errors.As(v.err, &se) && !errors.Is(v.err, ErrMalformed):
		t.Fatalf("untyped error %v", v.err)
	}
}
