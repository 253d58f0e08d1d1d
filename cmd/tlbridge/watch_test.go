package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/bridge/publish/publishtest"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/schematest"
)

// decodeLines decodes stdout as one CloudEvent per line, validating each
// against its schema, and checks that every event is about id.
func decodeLines(t *testing.T, stdout, id string) []*schemas.Event {
	t.Helper()
	var evs []*schemas.Event
	for i, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if line == "" {
			t.Fatalf("line %d is empty; stdout:\n%s", i+1, stdout)
		}
		schematest.Check(t, []byte(line))
		ev, err := schemas.Decode([]byte(line))
		if err != nil {
			t.Fatalf("line %d: schemas.Decode: %v\n%s", i+1, err, line)
		}
		if b := ev.Base(); b == nil || b.AssemblyID != id {
			t.Errorf("line %d is not about %s: %s", i+1, id, line)
		}
		evs = append(evs, ev)
	}
	return evs
}

// wantTerminalLast checks that exactly one event is terminal, the last one,
// of type want.
func wantTerminalLast(t *testing.T, evs []*schemas.Event, want schemas.Type) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatalf("no events; want %s last", want)
	}
	for i, ev := range evs[:len(evs)-1] {
		if ev.Type.Terminal() {
			t.Errorf("event %d of %d is terminal (%s); only the last may be", i+1, len(evs), ev.Type)
		}
	}
	if got := evs[len(evs)-1].Type; got != want {
		t.Errorf("last event = %s; want %s", got, want)
	}
}

func TestWatch(t *testing.T) {
	sim := newSim(t)
	tests := []struct {
		name   string
		script transloadittest.Script
		arg    func(st *statusURLs) string
		env    map[string]string
		code   int
		last   schemas.Type
	}{
		{"completed by id", transloadittest.Script{}, (*statusURLs).id, nil, exitOK, schemas.TypeCompleted},
		{"completed by status url", transloadittest.Script{}, (*statusURLs).ssl, nil, exitOK, schemas.TypeCompleted},
		{"completed by stream url, polling only", transloadittest.Script{}, (*statusURLs).stream,
			map[string]string{"TLBRIDGE_DISABLE_STREAM": "true"}, exitOK, schemas.TypeCompleted},
		{"failed", transloadittest.Script{FailStep: "resized"}, (*statusURLs).id, nil, exitOK, schemas.TypeFailed},
		{"canceled", transloadittest.Script{CancelAfterResults: 1}, (*statusURLs).id, nil, exitOK, schemas.TypeCanceled},
		{"aborted", transloadittest.Script{AbortUpload: true}, (*statusURLs).id, nil, exitOK, schemas.TypeAborted},
		{"expired", transloadittest.Script{Tick: time.Second}, (*statusURLs).id,
			map[string]string{"TLBRIDGE_WATCH_TTL": "300ms"}, exitFailure, schemas.TypeWatchExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simEnv(t, sim)
			setEnv(t, tt.env)
			// An Assembly that ends before the watch connects its stream has
			// no stream to connect; hold it until it does.
			pollOnly := tt.env["TLBRIDGE_DISABLE_STREAM"] == "true"
			tt.script.StartOnStream = !pollOnly
			st, err := sim.Create(context.Background(), tt.script)
			if err != nil {
				t.Fatal(err)
			}
			u := &statusURLs{st.AssemblyID, st.AssemblySSLURL, st.UpdateStreamURL}
			code, stdout, stderr := runCmd(t, context.Background(), "watch", tt.arg(u))
			if code != tt.code {
				t.Errorf("run(watch %s) = %d; want %d\nstderr:\n%s", tt.arg(u), code, tt.code, stderr)
			}
			wantTerminalLast(t, decodeLines(t, stdout, st.AssemblyID), tt.last)
			if n := strings.Count(stderr, "\twatch ended\t"); n != 1 {
				t.Errorf("stderr says %q %d times; want once:\n%s", "watch ended", n, stderr)
			}
			// TLBRIDGE_DISABLE_STREAM decides whether the update stream is used.
			streams := sim.StreamConnections(st.AssemblyID)
			if pollOnly != (streams == 0) {
				t.Errorf("update stream connections = %d with TLBRIDGE_DISABLE_STREAM=%v", streams, pollOnly)
			}
		})
	}
}

type statusURLs struct{ assemblyID, sslURL, streamURL string }

func (s *statusURLs) id() string     { return s.assemblyID }
func (s *statusURLs) ssl() string    { return s.sslURL }
func (s *statusURLs) stream() string { return s.streamURL }

func TestWatchUsageErrors(t *testing.T) {
	sim := newSim(t)
	simEnv(t, sim)
	id := strings.Repeat("ab", 16)
	tests := []struct {
		name string
		arg  string
		env  map[string]string
		want string
	}{
		{"host not allowed", "https://api2-evil.example.com/assemblies/" + id, nil, "URL_NOT_ALLOWED"},
		{"http without ALLOW_HTTP", "http://127.0.0.1:1/assemblies/" + id,
			map[string]string{"TLBRIDGE_ALLOW_HTTP": "false", "TLBRIDGE_API_BASE": "https://127.0.0.1"}, "URL_NOT_ALLOWED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			code, stdout, stderr := runCmd(t, context.Background(), "watch", tt.arg)
			if code != exitUsage || !strings.Contains(stderr, tt.want) || stdout != "" {
				t.Errorf("run(watch %s) = %d, stdout %q, stderr %q; want %d and %s", tt.arg, code, stdout, stderr, exitUsage, tt.want)
			}
		})
	}
}

// TestWatchInterrupted: a signal before the terminal event ends the watch
// with exit code 1 and a clean shutdown.
func TestWatchInterrupted(t *testing.T) {
	sim := newSim(t)
	simEnv(t, sim)
	st, err := sim.Create(context.Background(), transloadittest.Script{Tick: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"watch", st.AssemblyID}, &out, &errOut) }()
	// Interrupt once the watch has published its first event.
	waitFor(t, func() bool { return strings.Contains(out.String(), "\n") })
	cancel()
	if code := <-done; code != exitFailure {
		t.Errorf("interrupted watch = %d; want %d\nstderr:\n%s", code, exitFailure, errOut.String())
	}
	if !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("stderr does not say the watch was interrupted:\n%s", errOut.String())
	}
	for _, ev := range decodeLines(t, out.String(), st.AssemblyID) {
		if ev.Type.Terminal() {
			t.Errorf("interrupted watch printed terminal event %s", ev.Type)
		}
	}
}

// TestWatchPublishesToNATS: with TLBRIDGE_NATS_URL set, the events printed
// are in the JetStream stream as well, in the same order.
func TestWatchPublishesToNATS(t *testing.T) {
	sim := newSim(t)
	simEnv(t, sim)
	ns := startNATS(t)
	t.Setenv("TLBRIDGE_NATS_URL", ns.ClientURL())
	st, err := sim.Create(context.Background(), transloadittest.Script{})
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, context.Background(), "watch", st.AssemblyID)
	if code != exitOK {
		t.Fatalf("run(watch) = %d; want 0\nstderr:\n%s", code, stderr)
	}
	printed := decodeLines(t, stdout, st.AssemblyID)
	wantTerminalLast(t, printed, schemas.TypeCompleted)

	stored := streamEvents(t, ns.ClientURL(), "TRANSLOADIT", schemas.AssemblySubject("transloadit", st.AssemblyID)+".>", len(printed))
	for i := range printed {
		if stored[i].ID != printed[i].ID {
			t.Errorf("stream event %d = %s; printed %s", i, stored[i].ID, printed[i].ID)
		}
	}
}

// streamEvents reads n events on filter from the stream.
func streamEvents(t *testing.T, url, stream, filter string, n int) []*schemas.Event {
	t.Helper()
	_, js := publishtest.ConnectJetStream(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(n, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var evs []*schemas.Event
	for msg := range batch.Messages() {
		schematest.Check(t, msg.Data())
		ev, err := schemas.Decode(msg.Data())
		if err != nil {
			t.Fatal(err)
		}
		if got := msg.Headers().Get("Nats-Msg-Id"); got != ev.ID {
			t.Errorf("Nats-Msg-Id = %q; want the event id %q", got, ev.ID)
		}
		evs = append(evs, ev)
	}
	if len(evs) != n {
		t.Fatalf("stream holds %d events on %s; want %d (err %v)", len(evs), filter, n, batch.Error())
	}
	return evs
}

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 20s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWatchNATSUnreachable: with TLBRIDGE_NATS_URL pointing nowhere, watch
// reports it and exits 1 rather than waiting forever.
func TestWatchNATSUnreachable(t *testing.T) {
	sim := newSim(t)
	simEnv(t, sim)
	t.Setenv("TLBRIDGE_NATS_URL", "nats://127.0.0.1:1")
	old := watchConnectTimeout
	watchConnectTimeout = 200 * time.Millisecond
	t.Cleanup(func() { watchConnectTimeout = old })
	st, err := sim.Create(context.Background(), transloadittest.Script{})
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, context.Background(), "watch", st.AssemblyID)
	if code != exitFailure || stdout != "" || !strings.Contains(stderr, "NATS at nats://127.0.0.1:1 is not reachable") {
		t.Errorf("run(watch) without NATS = %d, stdout %q, stderr %q; want 1 and the reason", code, stdout, stderr)
	}
}
