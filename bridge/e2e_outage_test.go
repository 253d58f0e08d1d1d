package bridge_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/normalize/normalizetest"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/bridge/publish/publishtest"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/schematest"
)

// TestEndToEndNATSOutage takes NATS down while Assemblies progress and
// brings it back after they all ended upstream: the events produced
// meanwhile are held by their workers and published after the reconnect,
// none lost, none stored twice, each Assembly's still in order.
func TestEndToEndNATSOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv := transloadittest.NewServer(transloadittest.WithTick(30 * time.Millisecond))
	t.Cleanup(srv.Close)
	ns, url := publishtest.StartNATS(t)
	nc, err := publish.Connect(ctx, publish.NATSConfig{URL: url, ReconnectWait: 50 * time.Millisecond}, publishtest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := publish.EnsureStream(ctx, js, publish.StreamConfig{Name: "TRANSLOADIT", Subjects: []string{publish.StreamSubject(testPrefix)}}); err != nil {
		t.Fatal(err)
	}
	pub, err := publish.NewJetStream(nc, publish.JetStreamConfig{AckTimeout: time.Second,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Logger: publishtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := poller.New(poller.Config{APIBase: srv.URL, AllowList: srv.AllowList()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := bridge.NewManager(bridge.ManagerConfig{Poller: p, Publisher: pub, AllowList: srv.AllowList(),
		Prefix: testPrefix, Instance: "outage", PollInterval: 100 * time.Millisecond,
		Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = m.Shutdown(sctx)
		_ = pub.Close(sctx)
	})

	var ids []string
	for i := 0; i < 10; i++ {
		st, err := srv.Create(ctx, transloadittest.Script{Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"}, {Name: "thumbs", Robot: "/image/resize", Results: 6},
		}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, st.AssemblyID)
		if _, err := m.Watch(ctx, bridge.WatchRequest{AssemblyID: st.AssemblyID, AssemblySSLURL: st.AssemblySSLURL,
			UpdateStreamURL: st.UpdateStreamURL}); err != nil {
			t.Fatal(err)
		}
	}
	// Some events are in; then NATS goes away until every Assembly ended.
	before, err := publishtest.ReadStream(ctx, js, "TRANSLOADIT", ">", 5)
	if err != nil {
		t.Fatal(err)
	}
	ns.Shutdown()
	ns.WaitForShutdown()
	for _, id := range ids {
		if err := srv.AwaitState(ctx, id, func(s *transloadit.Status) bool { return s.Terminal() }); err != nil {
			t.Fatal(err)
		}
	}
	publishtest.RestartNATS(t, ns)
	for _, id := range ids {
		if _, err := m.Wait(ctx, id); err != nil {
			t.Fatalf("Wait(%s): %v", id, err)
		}
	}

	stored, err := publishtest.ReadStream(ctx, js, "TRANSLOADIT", ">", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) <= len(before) {
		t.Fatalf("stream holds %d events, %d before the outage; want the held ones added", len(stored), len(before))
	}
	byAssembly := map[string][]*schemas.Event{}
	seen := map[string]bool{}
	for _, msg := range stored {
		if seen[msg.ID] {
			t.Errorf("event %s stored twice", msg.ID)
		}
		seen[msg.ID] = true
		schematest.Check(t, msg.Data)
		ev, err := schemas.Decode(msg.Data)
		if err != nil {
			t.Fatal(err)
		}
		byAssembly[ev.Base().AssemblyID] = append(byAssembly[ev.Base().AssemblyID], ev)
	}
	for _, id := range ids {
		final, _ := srv.Status(id)
		normalizetest.CheckLifecycle(t, testPrefix, final, byAssembly[id])
	}
}
