package bridge_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
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

const clusterStream = "TRANSLOADIT"

// clusterOptions tune a test cluster.
type clusterOptions struct {
	duplicates time.Duration // the event stream's window; default 2m
	ackWait    time.Duration // default 2s, so a lost replica's watches come back soon
	tick       time.Duration // the simulator's tick; default 20ms
	pollOnly   bool          // the replicas open no update streams
	maxWatches int           // per replica; default the Manager's
}

// cluster is one NATS server, the simulator, and replicas of the bridge,
// each a Manager on its own NATS connection sharing the durable watches.
type cluster struct {
	t    testing.TB
	opts clusterOptions
	srv  *transloadittest.Server
	url  string
	js   jetstream.JetStream // the test's own connection

	mu    sync.Mutex // guards ended
	ended map[string][]bridge.Outcome
}

// replica is one bridge process in all but name.
type replica struct {
	name string
	nc   *nats.Conn
	pub  publish.Publisher
	m    *bridge.Manager
	reg  *prometheus.Registry
	once sync.Once
}

func newCluster(t testing.TB, opts clusterOptions) *cluster {
	t.Helper()
	if opts.ackWait == 0 {
		opts.ackWait = 2 * time.Second
	}
	if opts.tick == 0 {
		opts.tick = 20 * time.Millisecond
	}
	srv := transloadittest.NewServer(transloadittest.WithTick(opts.tick))
	t.Cleanup(srv.Close)
	_, url := publishtest.StartNATS(t)
	_, js := publishtest.ConnectJetStream(t, url)
	c := &cluster{t: t, opts: opts, srv: srv, url: url, js: js, ended: map[string][]bridge.Outcome{}}
	if err := publish.EnsureStream(t.Context(), js, c.streamConfig()); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *cluster) streamConfig() publish.StreamConfig {
	return publish.StreamConfig{Name: clusterStream, Subjects: []string{publish.StreamSubject(testPrefix)},
		Duplicates: c.opts.duplicates, MaxAge: time.Hour}
}

// add starts a replica; it is shut down gracefully when the test ends
// unless it was killed or stopped before.
func (c *cluster) add(name string) *replica {
	t := c.t
	t.Helper()
	nc, err := nats.Connect(c.url, nats.Name(name))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := publish.EnsureWatchStore(t.Context(), js, publish.WatchStoreConfig{
		Stream: c.streamConfig(), QueueSubjects: bridge.QueueSubjects(testPrefix), AckWait: c.opts.ackWait,
	})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := publish.NewJetStream(nc, publish.JetStreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := poller.New(poller.Config{APIBase: c.srv.URL, AllowList: c.srv.AllowList()})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m, err := bridge.NewManager(bridge.ManagerConfig{
		Poller: p, Publisher: pub, AllowList: c.srv.AllowList(), Prefix: testPrefix, Instance: name,
		PollInterval: 100 * time.Millisecond, MaxPayload: int(nc.MaxPayload()), Logger: zaptest.NewLogger(t).Named(name),
		OnWatchEnd: c.recordEnd, DisableStream: c.opts.pollOnly, MaxWatches: c.opts.maxWatches,
		Metrics: bridge.NewMetrics(reg),
		Durable: &bridge.DurableConfig{JetStream: js, Store: store},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{name: name, nc: nc, pub: pub, m: m, reg: reg}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// endedOf returns how the watches of id ended so far.
func (c *cluster) endedOf(id string) []bridge.Outcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.ended[id])
}

func (c *cluster) recordEnd(id string, o bridge.Outcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended[id] = append(c.ended[id], o)
}

// stop shuts the replica down as SIGTERM does: running watches are
// handed back.
func (r *replica) stop(t testing.TB) {
	r.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.m.Shutdown(ctx); err != nil {
			t.Errorf("%s: Shutdown: %v", r.name, err)
		}
		if err := r.pub.Close(ctx); err != nil {
			t.Errorf("%s: publisher Close: %v", r.name, err)
		}
		r.nc.Close()
	})
}

// kill takes the replica off NATS without a word, as kill -9 does: its
// watches come back only after AckWait. What is left of it is stopped
// when the test ends, so that no goroutine outlives it.
func (r *replica) kill(t testing.TB) {
	r.once.Do(func() {
		r.nc.Close()
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = r.m.Shutdown(ctx)
			_ = r.pub.Close(ctx)
		})
	})
}

// createPaused creates n Assemblies held at their start until resumeAll:
// their watches are sure to be running when a replica is lost.
func (c *cluster) createPaused(n int) []*transloadit.Status {
	c.t.Helper()
	sts := c.create(n)
	for _, st := range sts {
		if err := c.srv.Pause(st.AssemblyID); err != nil {
			c.t.Fatal(err)
		}
	}
	return sts
}

func (c *cluster) resumeAll(sts []*transloadit.Status) {
	c.t.Helper()
	for _, st := range sts {
		if err := c.srv.Resume(st.AssemblyID); err != nil {
			c.t.Fatal(err)
		}
	}
}

// awaitActive waits until the replicas run want() watches between them.
func awaitActive(ctx context.Context, t testing.TB, want func() int, rs ...*replica) {
	t.Helper()
	for {
		active, n := 0, want()
		for _, r := range rs {
			active += r.m.Active()
		}
		if active == n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("replicas run %d watches; want %d", active, n)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// create starts n Assemblies of the lifecycle scripts.
func (c *cluster) create(n int) []*transloadit.Status {
	c.t.Helper()
	out := make([]*transloadit.Status, n)
	for i := range out {
		st, err := c.srv.Create(c.t.Context(), lifecycleScripts[i%len(lifecycleScripts)].script)
		if err != nil {
			c.t.Fatal(err)
		}
		out[i] = st
	}
	return out
}

func watchRequest(st *transloadit.Status) bridge.WatchRequest {
	return bridge.WatchRequest{AssemblyID: st.AssemblyID, AssemblySSLURL: st.AssemblySSLURL, UpdateStreamURL: st.UpdateStreamURL}
}

func mustWatch(t testing.TB, r *replica, req bridge.WatchRequest) bridge.WatchReply {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	reply, err := r.m.Watch(ctx, req)
	if err != nil || !reply.OK {
		t.Fatalf("%s: Watch(%s) = %+v, %v", r.name, req.AssemblyID, reply, err)
	}
	return reply
}

// events reads every event in the stream, decoded and checked against its
// schema, by Assembly.
func (c *cluster) events(ctx context.Context) (map[string][]*schemas.Event, error) {
	n, err := c.streamMsgs(ctx)
	if err != nil {
		return nil, err
	}
	msgs, err := publishtest.ReadStream(ctx, c.js, clusterStream, ">", int(n))
	if err != nil {
		return nil, err
	}
	out := map[string][]*schemas.Event{}
	for _, msg := range msgs {
		schematest.Check(c.t, msg.Data)
		ev, err := schemas.Decode(msg.Data)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", msg.ID, err)
		}
		id := ev.Base().AssemblyID
		out[id] = append(out[id], ev)
	}
	return out, nil
}

func (c *cluster) streamMsgs(ctx context.Context) (uint64, error) {
	st, err := c.js.Stream(ctx, clusterStream)
	if err != nil {
		return 0, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.Msgs, nil
}

// awaitTerminal waits until every Assembly's terminal event is in the
// stream and the watch queue is empty, and returns the events.
func (c *cluster) awaitTerminal(ctx context.Context, ids []string) map[string][]*schemas.Event {
	c.t.Helper()
	for {
		evs, err := c.events(ctx)
		if err == nil && allTerminal(evs, ids) && c.queueEmpty(ctx) {
			return evs
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("Assemblies without a terminal event, or watches still queued: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func allTerminal(evs map[string][]*schemas.Event, ids []string) bool {
	for _, id := range ids {
		list := evs[id]
		if len(list) == 0 || !list[len(list)-1].Type.Terminal() {
			return false
		}
	}
	return true
}

func (c *cluster) queueEmpty(ctx context.Context) bool {
	st, err := c.js.Stream(ctx, clusterStream+"_WATCHES")
	if err != nil {
		return false
	}
	info, err := st.Info(ctx)
	return err == nil && info.State.Msgs == 0
}

// checkExactlyOnce asserts each Assembly's events are what its final
// status implies, each upload, result and ID once, the terminal event
// once and last.
func (c *cluster) checkExactlyOnce(evs map[string][]*schemas.Event, ids []string) {
	c.t.Helper()
	for _, id := range ids {
		final, ok := c.srv.Status(id)
		if !ok {
			c.t.Fatalf("simulator does not know %s", id)
		}
		normalizetest.CheckLifecycle(c.t, testPrefix, final, evs[id])
	}
}
