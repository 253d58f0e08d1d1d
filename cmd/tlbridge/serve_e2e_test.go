package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge/normalize/normalizetest"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/schemas"
)

// serveMix is the mix of lifecycles the serve end-to-end test cycles
// through, with the terminal event each leads to.
var serveMix = []struct {
	script   transloadittest.Script
	terminal schemas.Type
}{
	{transloadittest.Script{}, schemas.TypeCompleted},
	{transloadittest.Script{
		Uploads: []transloadittest.Upload{{Name: "a.jpg", Size: 5000}, {Name: "b.jpg", Size: 7000}},
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "thumbs", Robot: "/image/resize", Results: 3},
			{Name: "stored", Robot: "/s3/store", Use: "thumbs"},
		},
	}, schemas.TypeCompleted},
	{transloadittest.Script{FailStep: "resized"}, schemas.TypeFailed},
	{transloadittest.Script{CancelAfterResults: 1}, schemas.TypeCanceled},
	{transloadittest.Script{AbortUpload: true}, schemas.TypeAborted},
	{transloadittest.Script{
		Uploads: []transloadittest.Upload{},
		Steps:   []transloadittest.Step{{Name: "imported", Robot: "/http/import", Results: 2}},
	}, schemas.TypeCompleted},
}

// TestServeEndToEnd runs `tlbridge serve` in-process against embedded
// JetStream and the simulator: 50 Assemblies of mixed lifecycles watched
// through the NATS intake; a JetStream consumer must receive, per
// Assembly, exactly the events its final status implies, each once, in
// order, terminal last, all valid against the schemas.
func TestServeEndToEnd(t *testing.T) {
	sim := newSim(t, transloadittest.WithTick(10*time.Millisecond))
	simEnv(t, sim)
	t.Setenv("TLBRIDGE_LOG_LEVEL", "info")
	ns := startNATS(t)
	t.Setenv("TLBRIDGE_NATS_URL", ns.ClientURL())
	sb := startServe(t)
	waitFor(t, func() bool { code, _ := sb.get(t, "/readyz"); return code == http.StatusOK })

	nc, it := consumeStream(t, ns.ClientURL())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	want := make(map[string]schemas.Type)
	for i := 0; i < 50; i++ {
		mix := serveMix[i%len(serveMix)]
		st, err := sim.Create(ctx, mix.script)
		if err != nil {
			t.Fatal(err)
		}
		want[st.AssemblyID] = mix.terminal
		body := fmt.Sprintf(`{"assembly_id":%q,"assembly_ssl_url":%q,"update_stream_url":%q}`,
			st.AssemblyID, st.AssemblySSLURL, st.UpdateStreamURL)
		if r := requestWatchT(t, nc, body); !r.OK {
			t.Fatalf("intake reply = %+v", r)
		}
	}
	ids := make(map[string]string) // Nats-Msg-Id -> subject, to catch a stored duplicate
	got := collect(t, func() ([]byte, error) {
		msg, err := it.Next()
		if err != nil {
			return nil, err
		}
		id := msg.Headers().Get("Nats-Msg-Id")
		if prev, dup := ids[id]; dup {
			t.Errorf("event %s stored twice (%s, %s)", id, prev, msg.Subject())
		}
		ids[id] = msg.Subject()
		return msg.Data(), nil
	}, want)
	for id := range want {
		final, ok := sim.Status(id)
		if !ok {
			t.Fatalf("simulator lost %s", id)
		}
		normalizetest.CheckLifecycle(t, "transloadit", final, got[id])
	}
	if code := sb.stop(t); code != exitOK {
		t.Errorf("serve exit code = %d; want 0", code)
	}
}

// TestServeSIGTERM builds the binary and stops it the way Kubernetes does:
// SIGTERM, then a clean shutdown with exit status 0.
func TestServeSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tlbridge")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sim := newSim(t)
	simEnv(t, sim)
	t.Setenv("TLBRIDGE_HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("TLBRIDGE_LOG_FORMAT", "json")
	t.Setenv("TLBRIDGE_NATS_URL", "") // embedded NATS in DATA_DIR

	cmd := exec.Command(bin, "serve")
	cmd.Env = os.Environ()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, stderr)
	}()
	var log strings.Builder
	await := func(msg string) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("serve exited before logging %q:\n%s", msg, log.String())
				}
				log.WriteString(l + "\n")
				if strings.Contains(l, `"msg":"`+msg+`"`) {
					return
				}
			case <-timeout:
				t.Fatalf("serve did not log %q within 30s:\n%s", msg, log.String())
			}
		}
	}
	await("http listening")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	await("shutdown complete")
	for l := range lines {
		log.WriteString(l + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v; want exit status 0\n%s", err, log.String())
	}
}
