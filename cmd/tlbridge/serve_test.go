package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/publish/publishtest"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/schematest"
)

// servedBridge is `tlbridge serve` running in the test.
type servedBridge struct {
	httpAddr string
	stderr   *syncBuffer
	cancel   context.CancelFunc
	done     chan int
}

// startServe runs `tlbridge serve` with the environment as set and waits
// until it listens for HTTP; stop (or the test's end) shuts it down.
func startServe(t *testing.T) *servedBridge {
	t.Helper()
	t.Setenv("TLBRIDGE_HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("TLBRIDGE_LOG_FORMAT", "json")
	ctx, cancel := context.WithCancel(context.Background())
	sb := &servedBridge{stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() { sb.done <- run(ctx, []string{"serve"}, io.Discard, sb.stderr) }()
	t.Cleanup(func() { sb.stop(t) })
	waitFor(t, func() bool {
		sb.httpAddr = logField(sb.stderr.String(), "http listening", "addr")
		return sb.httpAddr != ""
	})
	return sb
}

// stop signals shutdown and returns the exit code.
func (sb *servedBridge) stop(t *testing.T) int {
	t.Helper()
	sb.cancel()
	select {
	case code := <-sb.done:
		sb.done <- code // later calls see it too
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop; log:\n%s", sb.stderr.String())
		return -1
	}
}

// logField finds the first JSON log line with message msg and returns its
// string field key.
func logField(log, msg, key string) string {
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == msg {
			s, _ := line[key].(string)
			return s
		}
	}
	return ""
}

func (sb *servedBridge) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + sb.httpAddr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func requestWatchT(t *testing.T, nc *nats.Conn, body string) bridge.WatchReply {
	t.Helper()
	msg, err := nc.Request("transloadit.v1.watch", []byte(body), 5*time.Second)
	if err != nil {
		t.Fatalf("watch request %s: %v", body, err)
	}
	var reply bridge.WatchReply
	if err := json.Unmarshal(msg.Data, &reply); err != nil {
		t.Fatalf("watch reply %q: %v", msg.Data, err)
	}
	return reply
}

// collect reads events from next until every id in want had its terminal
// event, checking each against its schema and that nothing follows a
// terminal event.
func collect(t *testing.T, next func() ([]byte, error), want map[string]schemas.Type) map[string][]*schemas.Event {
	t.Helper()
	got := make(map[string][]*schemas.Event)
	for pending := len(want); pending > 0; {
		data, err := next()
		if err != nil {
			t.Fatalf("reading events (%d Assemblies unfinished): %v", pending, err)
		}
		schematest.Check(t, data)
		ev, err := schemas.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		id := ev.Base().AssemblyID
		if prev := got[id]; len(prev) > 0 && prev[len(prev)-1].Type.Terminal() {
			t.Errorf("%s: %s after terminal %s", id, ev.Type, prev[len(prev)-1].Type)
		}
		got[id] = append(got[id], ev)
		if ev.Type.Terminal() {
			if ev.Type != want[id] {
				t.Errorf("%s ended with %s; want %s", id, ev.Type, want[id])
			}
			pending--
		}
	}
	return got
}

// consumeStream connects a client to url and reads the bridge's stream
// from the start with an ordered consumer, as a consuming service would.
// Both are closed when the test ends.
func consumeStream(t *testing.T, url string) (*nats.Conn, jetstream.MessagesContext) {
	t.Helper()
	nc, js := publishtest.ConnectJetStream(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, "TRANSLOADIT", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatalf("the bridge did not create the stream: %v", err)
	}
	it, err := cons.Messages()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(it.Stop)
	return nc, it
}

// TestServe runs `tlbridge serve` against external NATS (JetStream) and the
// simulator: watches over the NATS intake and over HTTP, events in the
// stream, health, readiness, metrics, and a clean shutdown with exit 0.
func TestServe(t *testing.T) {
	const token = "serve-test-token-value"
	sim := newSim(t)
	simEnv(t, sim)
	ns := startNATS(t)
	t.Setenv("TLBRIDGE_NATS_URL", ns.ClientURL())
	t.Setenv("TLBRIDGE_HTTP_TOKEN", token)
	sb := startServe(t)

	waitFor(t, func() bool { code, _ := sb.get(t, "/readyz"); return code == http.StatusOK })
	if code, _ := sb.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz = %d; want 200", code)
	}

	nc, it := consumeStream(t, ns.ClientURL())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	want := make(map[string]schemas.Type)
	create := func(sc transloadittest.Script, terminal schemas.Type) *statusURLs {
		st, err := sim.Create(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		want[st.AssemblyID] = terminal
		return &statusURLs{st.AssemblyID, st.AssemblySSLURL, st.UpdateStreamURL}
	}
	a := create(transloadittest.Script{}, schemas.TypeCompleted)
	b := create(transloadittest.Script{FailStep: "resized"}, schemas.TypeFailed)
	c := create(transloadittest.Script{CancelAfterResults: 1}, schemas.TypeCanceled)

	body := `{"assembly_id":"` + a.assemblyID + `","assembly_ssl_url":"` + a.sslURL + `","update_stream_url":"` + a.streamURL + `"}`
	first := requestWatchT(t, nc, body)
	if !first.OK || first.Subject != "transloadit.v1.assemblies."+a.assemblyID+".>" {
		t.Errorf("intake reply = %+v; want ok with the Assembly's subject", first)
	}
	if again := requestWatchT(t, nc, body); again != first {
		t.Errorf("repeated intake reply = %+v; want %+v", again, first)
	}
	if r := requestWatchT(t, nc, `{"assembly_id":"`+b.assemblyID+`"}`); !r.OK {
		t.Errorf("intake reply by ID = %+v; want ok", r)
	}
	if r := requestWatchT(t, nc, `{"assembly_id":"nope"}`); r.OK || r.Error != bridge.CodeInvalidAssemblyID {
		t.Errorf("intake reply for a bad ID = %+v; want INVALID_ASSEMBLY_ID", r)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+sb.httpAddr+"/v1/watches", strings.NewReader(`{"assembly_id":"`+c.assemblyID+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("POST /v1/watches = %d; want 201", resp.StatusCode)
	}

	collect(t, func() ([]byte, error) {
		msg, err := it.Next()
		if err != nil {
			return nil, err
		}
		return msg.Data(), nil
	}, want)

	code, metrics := sb.get(t, "/metrics")
	for _, m := range []string{"tlbridge_build_info{", "tlbridge_events_published_total{", "tlbridge_upstream_requests_total{", "tlbridge_status_fetches_waiting ", "go_goroutines"} {
		if code != http.StatusOK || !strings.Contains(metrics, m) {
			t.Errorf("GET /metrics = %d lacks %s", code, m)
		}
	}

	if code := sb.stop(t); code != exitOK {
		t.Errorf("serve exit code after SIGTERM = %d; want 0\nlog:\n%s", code, sb.stderr.String())
	}
	log := sb.stderr.String()
	if !strings.Contains(log, `"msg":"shutdown complete"`) {
		t.Errorf("log lacks a clean shutdown:\n%s", log)
	}
	if strings.Contains(log, token) {
		t.Errorf("log contains the HTTP token:\n%s", log)
	}
	if !strings.Contains(log, `"TLBRIDGE_HTTP_TOKEN":"[redacted]"`) {
		t.Errorf("startup log lacks the redacted configuration:\n%s", log)
	}
	// The intake is gone with the service.
	if _, err := nc.Request("transloadit.v1.watch", []byte(body), time.Second); !errors.Is(err, nats.ErrNoResponders) {
		t.Errorf("intake request after shutdown: %v; want no responders", err)
	}
}

// TestServeCoreNATS runs serve with TLBRIDGE_JETSTREAM=false: events are
// plain NATS messages, with the Nats-Msg-Id header still set.
func TestServeCoreNATS(t *testing.T) {
	sim := newSim(t)
	simEnv(t, sim)
	ns := startNATS(t)
	t.Setenv("TLBRIDGE_NATS_URL", ns.ClientURL())
	t.Setenv("TLBRIDGE_JETSTREAM", "false")
	sb := startServe(t)
	waitFor(t, func() bool { code, _ := sb.get(t, "/readyz"); return code == http.StatusOK })

	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync("transloadit.v1.assemblies.>")
	if err != nil {
		t.Fatal(err)
	}
	st, err := sim.Create(context.Background(), transloadittest.Script{})
	if err != nil {
		t.Fatal(err)
	}
	if r := requestWatchT(t, nc, `{"assembly_id":"`+st.AssemblyID+`"}`); !r.OK {
		t.Fatalf("intake reply = %+v", r)
	}
	got := collect(t, func() ([]byte, error) {
		msg, err := sub.NextMsg(20 * time.Second)
		if err != nil {
			return nil, err
		}
		if id := msg.Header.Get("Nats-Msg-Id"); id == "" {
			t.Errorf("message on %s has no Nats-Msg-Id", msg.Subject)
		}
		return msg.Data, nil
	}, map[string]schemas.Type{st.AssemblyID: schemas.TypeCompleted})
	if len(got[st.AssemblyID]) < 3 {
		t.Errorf("got %d events; want the whole lifecycle", len(got[st.AssemblyID]))
	}
	if !strings.Contains(sb.stderr.String(), "core NATS mode: watches live in this process only") {
		t.Error("no start-up line says core NATS mode runs a single replica")
	}
	if code := sb.stop(t); code != exitOK {
		t.Errorf("serve exit code = %d; want 0", code)
	}
}

// TestServeNATSDown: a bridge started before NATS is reachable stays up,
// reports not ready, and shuts down cleanly.
func TestServeNATSDown(t *testing.T) {
	sim := newSim(t)
	simEnv(t, sim)
	t.Setenv("TLBRIDGE_NATS_URL", "nats://127.0.0.1:1")
	t.Setenv("TLBRIDGE_SHUTDOWN_TIMEOUT", "2s")
	sb := startServe(t)
	code, body := sb.get(t, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "nats") {
		t.Errorf("GET /readyz without NATS = %d %q; want 503 naming NATS", code, body)
	}
	if code, _ := sb.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz without NATS = %d; want 200", code)
	}
	if code := sb.stop(t); code != exitOK {
		t.Errorf("serve exit code = %d; want 0\nlog:\n%s", code, sb.stderr.String())
	}
}

// A second serve on one host used to wait 10 s and say only "not ready":
// the one error line now names the cause and what to set.
func TestServeEmbeddedAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sim := newSim(t)
	simEnv(t, sim)
	t.Setenv("TLBRIDGE_EMBEDDED_NATS_ADDR", ln.Addr().String())
	t.Setenv("TLBRIDGE_HTTP_ADDR", "127.0.0.1:0")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, _, stderr := runCmd(t, ctx, "serve")
	if code == 0 || !strings.Contains(stderr, "address already in use") || !strings.Contains(stderr, "TLBRIDGE_EMBEDDED_NATS_ADDR") {
		t.Errorf("serve on a taken address = exit %d, stderr:\n%s\nwant a failure naming the cause and the variable", code, stderr)
	}
}

// TestServeUnmanagedStreamMisfit: with MANAGE_STREAM=false and a stream
// that does not fit, the bridge changes nothing and /readyz says why.
func TestServeUnmanagedStreamMisfit(t *testing.T) {
	sim := newSim(t)
	simEnv(t, sim)
	ns := startNATS(t)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "TRANSLOADIT", Subjects: []string{"elsewhere.>"}}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TLBRIDGE_NATS_URL", ns.ClientURL())
	t.Setenv("TLBRIDGE_MANAGE_STREAM", "false")
	sb := startServe(t)
	var body string
	waitFor(t, func() bool {
		var code int
		code, body = sb.get(t, "/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "does not capture transloadit.v1.assemblies.>")
	})
	if !strings.Contains(body, "TRANSLOADIT") {
		t.Errorf("GET /readyz = %q; want it to name the stream", body)
	}
	st, err := js.Stream(t.Context(), "TRANSLOADIT")
	if err != nil {
		t.Fatal(err)
	}
	if got := st.CachedInfo().Config.Subjects; len(got) != 1 || got[0] != "elsewhere.>" {
		t.Errorf("stream subjects = %q; want them untouched", got)
	}
	if code := sb.stop(t); code != exitOK {
		t.Errorf("serve exit code = %d; want 0", code)
	}
}
