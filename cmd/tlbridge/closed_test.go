package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// A NATS connection that closes for good (the server refused a control
// line past 4 KiB, and nats.go does not reconnect from that) must not
// leave a zombie that logs "publish abandoned" forever: /healthz fails and
// the app stops serving, so the process exits and is restarted.
func TestNATSClosedForGoodIsNotAZombie(t *testing.T) {
	a := startApp(t, appOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waitFor(t, func() bool { return a.ready() == nil })
	if code := getStatus(t, "http://"+a.httpAddr()+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz before = %d; want 200", code)
	}
	// The same fault a 5,000-character step name caused before subjects
	// were bounded.
	_ = a.nc.Publish(strings.Repeat("s", 5000), []byte("x"))
	if err := a.serve(ctx); !errors.Is(err, errNATSClosed) {
		t.Fatalf("serve = %v; want errNATSClosed", err)
	}
	if code := getStatus(t, "http://"+a.httpAddr()+"/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz with the connection closed for good = %d; want 503", code)
	}
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// A client that sends its headers slowly (slowloris) is cut off once the
// header timeout passes, instead of holding the connection.
func TestSlowHeadersAreCutOff(t *testing.T) {
	a := startApp(t, appOptions{HeaderTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", a.httpAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	// The server answers the unfinished request with an error or closes
	// the connection; either way the read ends long before the deadline.
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection was still open after 20 s of unfinished headers (read %q)", b)
	}
}

// startApp starts the app in-process against a simulator, with an
// embedded NATS server and HTTP on free ports; it is shut down when the
// test ends.
func startApp(t *testing.T, opts appOptions) *app {
	t.Helper()
	simEnv(t, newSim(t))
	t.Setenv("TLBRIDGE_HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("TLBRIDGE_EMBEDDED_NATS_ADDR", "127.0.0.1:0")
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(cfg, zaptest.NewLogger(t), opts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	return a
}

// An API opened without a token says so at start, once, as a warning.
func TestInsecureAPIWarnsAtStart(t *testing.T) {
	sim := newSim(t)
	simEnv(t, sim)
	t.Setenv("TLBRIDGE_EMBEDDED_NATS_ADDR", "127.0.0.1:0")
	t.Setenv("TLBRIDGE_HTTP_INSECURE", "true")
	sb := startServe(t)
	log := sb.stderr.String()
	var warned int
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "/v1/watches API is open to anyone") && strings.Contains(line, `"level":"warn"`) {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("start-up log has %d warnings of the open API; want 1:\n%s", warned, log)
	}
}
