package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/normalize/normalizetest"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/bridge/publish/publishtest"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/schematest"
)

// TestEndToEnd runs the whole bridge against an embedded JetStream server
// and the simulator: 50 Assemblies of mixed lifecycles requested over the
// NATS intake, read back by a JetStream consumer. Each Assembly's events
// must be exactly what its final status implies, once each, in order.
func TestEndToEnd(t *testing.T) {
	cases := []struct {
		name          string
		disableStream bool
		faults        transloadittest.Faults
	}{
		{"stream", false, transloadittest.Faults{}},
		{"polling only", true, transloadittest.Faults{}},
		{"stream dropping every few events", false, transloadittest.Faults{DropStreamAfter: 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEndToEnd(t, tc.disableStream, tc.faults)
			e.run(t, 50)
		})
	}
}

type endToEnd struct {
	srv *transloadittest.Server
	nc  *nats.Conn
	js  jetstream.JetStream
	m   *bridge.Manager

	mu     sync.Mutex // guards events
	events map[string][]jetstream.Msg
}

func newEndToEnd(t *testing.T, disableStream bool, faults transloadittest.Faults) *endToEnd {
	t.Helper()
	ctx := context.Background()
	srv := transloadittest.NewServer(transloadittest.WithTick(10*time.Millisecond), transloadittest.WithFaults(faults))
	t.Cleanup(srv.Close)
	_, url := publishtest.StartNATS(t)
	nc, js := publishtest.ConnectJetStream(t, url)
	err := publish.EnsureStream(ctx, js, publish.StreamConfig{Name: "TRANSLOADIT", Subjects: []string{publish.StreamSubject(testPrefix)}})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := publish.NewJetStream(nc, publish.JetStreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := poller.New(poller.Config{APIBase: srv.URL, AllowList: srv.AllowList()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := bridge.NewManager(bridge.ManagerConfig{
		Poller: p, Publisher: pub, AllowList: srv.AllowList(), Prefix: testPrefix,
		Instance: "e2e", PollInterval: 100 * time.Millisecond, DisableStream: disableStream,
		MaxPayload: int(nc.MaxPayload()), Logger: zaptest.NewLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	in, err := bridge.ServeNATSIntake(t.Context(), nc, testPrefix, m, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := in.Close(); err != nil {
			t.Errorf("intake Close: %v", err)
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := m.Shutdown(sctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := pub.Close(sctx); err != nil {
			t.Errorf("publisher Close: %v", err)
		}
	})
	return &endToEnd{srv: srv, nc: nc, js: js, m: m, events: map[string][]jetstream.Msg{}}
}

func (e *endToEnd) run(t *testing.T, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cons, err := e.js.OrderedConsumer(ctx, "TRANSLOADIT", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{publish.StreamSubject(testPrefix)},
	})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cons.Consume(e.collect)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Stop()

	ids := make([]string, n)
	for i := range ids {
		st, err := e.srv.Create(ctx, lifecycleScripts[i%len(lifecycleScripts)].script)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = st.AssemblyID
		e.requestWatch(t, bridge.WatchRequest{AssemblyID: st.AssemblyID, AssemblySSLURL: st.AssemblySSLURL, UpdateStreamURL: st.UpdateStreamURL})
	}
	for _, id := range ids {
		if _, err := e.m.Wait(ctx, id); err != nil {
			t.Fatalf("Wait(%s): %v", id, err)
		}
	}
	e.awaitTerminals(ctx, t, ids)
	total := 0
	for _, id := range ids {
		evs := e.decoded(t, id)
		total += len(evs)
		final, _ := e.srv.Status(id)
		normalizetest.CheckLifecycle(t, testPrefix, final, evs)
	}
	info, err := e.js.Stream(ctx, "TRANSLOADIT")
	if err != nil {
		t.Fatal(err)
	}
	if got := info.CachedInfo().State.Msgs; got != uint64(total) {
		t.Errorf("stream holds %d messages; consumers saw %d distinct events", got, total)
	}
}

// requestWatch asks over the NATS intake, as any client would.
func (e *endToEnd) requestWatch(t *testing.T, req bridge.WatchRequest) {
	t.Helper()
	b, _ := json.Marshal(req)
	msg, err := e.nc.Request(schemas.WatchSubject(testPrefix), b, 5*time.Second)
	if err != nil {
		t.Fatalf("watch request: %v", err)
	}
	var reply bridge.WatchReply
	if err := json.Unmarshal(msg.Data, &reply); err != nil || !reply.OK || reply.AssemblyID != req.AssemblyID {
		t.Fatalf("watch reply %s (%v)", msg.Data, err)
	}
	if want := "transloadit.v1.assemblies." + req.AssemblyID + ".>"; reply.Subject != want {
		t.Errorf("reply subject %q; want %q", reply.Subject, want)
	}
	// Written as a person reads it, not HTML-escaped.
	if !bytes.Contains(msg.Data, []byte(`.>"`)) {
		t.Errorf("reply %s; want the subject with a literal .>", msg.Data)
	}
}

func (e *endToEnd) collect(msg jetstream.Msg) {
	parts, err := schemas.ParseSubject(testPrefix, msg.Subject())
	if err != nil {
		return
	}
	e.mu.Lock()
	e.events[parts.AssemblyID] = append(e.events[parts.AssemblyID], msg)
	e.mu.Unlock()
}

// awaitTerminals waits until the consumer has seen a terminal event of
// every Assembly: publishing is done by then, reading may lag.
func (e *endToEnd) awaitTerminals(ctx context.Context, t *testing.T, ids []string) {
	t.Helper()
	for {
		missing := 0
		e.mu.Lock()
		for _, id := range ids {
			msgs := e.events[id]
			if len(msgs) == 0 || !isTerminalSubject(msgs[len(msgs)-1].Subject()) {
				missing++
			}
		}
		e.mu.Unlock()
		if missing == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d Assemblies without a terminal event on the stream", missing)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func isTerminalSubject(subject string) bool {
	p, err := schemas.ParseSubject(testPrefix, subject)
	return err == nil && p.Type.Terminal()
}

func (e *endToEnd) decoded(t *testing.T, id string) []*schemas.Event {
	t.Helper()
	e.mu.Lock()
	msgs := append([]jetstream.Msg(nil), e.events[id]...)
	e.mu.Unlock()
	out := make([]*schemas.Event, 0, len(msgs))
	for _, msg := range msgs {
		schematest.Check(t, msg.Data())
		ev, err := schemas.Decode(msg.Data())
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if got := msg.Headers().Get("Nats-Msg-Id"); got != ev.ID {
			t.Errorf("Nats-Msg-Id %q; want the event id %q", got, ev.ID)
		}
		out = append(out, ev)
	}
	return out
}
