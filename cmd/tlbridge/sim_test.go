package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// TestSimPrintsBridgeEnv: the export lines tlbridge sim prints are all a
// watch needs to follow an Assembly on it.
func TestSimPrintsBridgeEnv(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	simCtx, stopSim := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(simCtx, []string{"sim", "--tick", "5ms"}, pw, io.Discard)
		pw.Close()
		done <- code
	}()
	defer func() {
		stopSim()
		if code := <-done; code != exitOK {
			t.Errorf("sim exit code %d after interrupt; want 0", code)
		}
	}()
	base, env := readSimOutput(t, pr)
	go io.Copy(io.Discard, pr)

	clearConfigEnv(t)
	setEnv(t, env)
	setEnv(t, map[string]string{"TLBRIDGE_DATA_DIR": t.TempDir(), "TLBRIDGE_LOG_FORMAT": "console"})
	if env["TLBRIDGE_API_BASE"] != base {
		t.Errorf("TLBRIDGE_API_BASE = %q; want the base URL %q", env["TLBRIDGE_API_BASE"], base)
	}
	id := createOnSim(ctx, t, base)
	if code, _, stderr := runCmd(t, ctx, "watch", id); code != exitOK {
		t.Errorf("watch with the printed variables = %d; want 0\n%s", code, stderr)
	}
}

// readSimOutput reads the base URL and the exported variables.
func readSimOutput(t *testing.T, r io.Reader) (string, map[string]string) {
	t.Helper()
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		t.Fatal("sim printed nothing")
	}
	base, env := sc.Text(), map[string]string{}
	for len(env) < 3 && sc.Scan() {
		if kv, ok := strings.CutPrefix(sc.Text(), "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	for _, k := range []string{"TLBRIDGE_API_BASE", "TLBRIDGE_ALLOWED_HOSTS", "TLBRIDGE_ALLOW_HTTP"} {
		if env[k] == "" {
			t.Fatalf("sim did not export %s; got %v", k, env)
		}
	}
	return base, env
}

func createOnSim(ctx context.Context, t *testing.T, base string) string {
	t.Helper()
	form := url.Values{"params": {`{"steps":{"resized":{"robot":"/image/resize","use":":original"}}}`}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/assemblies", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	st, err := transloadit.DecodeStatus(body)
	if err != nil || st.AssemblyID == "" {
		t.Fatalf("create on the sim = %d %s", resp.StatusCode, body)
	}
	return st.AssemblyID
}
