package publish_test

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/bridge/publish/publishtest"
)

// ackCounter counts acknowledgements, and failed attempts, and closes
// reached once there are n acknowledgements.
type ackCounter struct {
	n       int64
	count   atomic.Int64
	fails   atomic.Int64
	once    sync.Once
	reached chan struct{}
}

func (a *ackCounter) Published(publish.Message, bool) {
	if a.count.Add(1) == a.n {
		a.once.Do(func() { close(a.reached) })
	}
}

func (a *ackCounter) PublishFailed(publish.Message, error, bool) { a.fails.Add(1) }

// TestJetStreamPipelineOutageMidBurst restarts the server while every Key
// has a long batch pipelined (many messages awaiting acks): the failed
// tail is sent again, and the stream holds each message once, in order
// per Key, with no gap.
func TestJetStreamPipelineOutageMidBurst(t *testing.T) {
	b := newJetStreamBackend(t)
	const keys, perKey = 4, 1000
	obs := &ackCounter{n: 300, reached: make(chan struct{})}
	pc := connectUnbuffered(t, b.srv.ClientURL())
	p := newJetStreamPublisher(t, pc, obs)
	errs := make(chan error, keys)
	var wg sync.WaitGroup
	for k := range keys {
		batch := make([]publish.Message, perKey)
		for n := range batch {
			batch[n] = testMessage(testKey(k), n)
		}
		wg.Go(func() { errs <- p.Publish(t.Context(), batch...) })
	}
	select {
	case <-obs.reached:
	case <-time.After(20 * time.Second):
		t.Fatal("300 messages were not acknowledged within 20s")
	}
	b.srv.Shutdown()
	b.srv.WaitForShutdown()
	waitFor(t, func() bool { return !pc.IsConnected() })
	time.Sleep(100 * time.Millisecond)
	b.srv = publishtest.RestartNATS(t, b.srv)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Publish across the outage = %v; want nil", err)
		}
	}
	if n := obs.count.Load(); n < keys*perKey {
		t.Errorf("%d acknowledgements; want at least %d", n, keys*perKey)
	}
	if obs.fails.Load() == 0 {
		t.Error("no attempt failed; the restart did not meet the pipelines")
	}
	checkOrderNoGaps(t, publishtest.ReadStreamT(t, b.js, testStream, ">", keys*perKey), keys, perKey)
}

// TestJetStreamPipelineOneInFlightPerKey: with MaxInFlightPerKey 1 the
// publisher waits for each ack, and still delivers a batch in order.
func TestJetStreamPipelineOneInFlightPerKey(t *testing.T) {
	b := newJetStreamBackend(t)
	cfg := testJetStreamConfig(t)
	cfg.MaxInFlightPerKey = 1
	p, err := publish.NewJetStream(connectUnbuffered(t, b.srv.ClientURL()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(t.Context())
	const keys, perKey = 2, 50
	var batch []publish.Message
	for n := range perKey {
		for k := range keys {
			batch = append(batch, testMessage(testKey(k), n))
		}
	}
	if err := p.Publish(t.Context(), batch...); err != nil {
		t.Fatalf("Publish = %v", err)
	}
	checkOrderNoGaps(t, publishtest.ReadStreamT(t, b.js, testStream, ">", keys*perKey), keys, perKey)
}

// connectUnbuffered connects without a reconnect buffer, as the service
// does for the JetStream publisher, so that Keys are pipelined.
func connectUnbuffered(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := publish.Connect(t.Context(), publish.NATSConfig{URL: url, ReconnectWait: 50 * time.Millisecond, NoReconnectBuffer: true}, publishtest.Logger(t))
	if err != nil {
		t.Fatalf("Connect(%s) = %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// checkOrderNoGaps wants testMessage(testKey(k), 0..perKey-1) stored once
// each, in order per Key.
func checkOrderNoGaps(t *testing.T, got []publish.Message, keys, perKey int) {
	t.Helper()
	perKeyIDs := make(map[string][]string)
	for _, m := range got {
		key, _, _ := strings.Cut(m.ID, "/")
		perKeyIDs[key] = append(perKeyIDs[key], m.ID)
	}
	for k := range keys {
		want := make([]string, perKey)
		for n := range want {
			want[n] = testMessage(testKey(k), n).ID
		}
		if got := perKeyIDs[testKey(k)]; !slices.Equal(got, want) {
			i := firstDiff(got, want)
			t.Errorf("key %d: stored %d messages, first difference at %d (%q); want %d in order, once each",
				k, len(got), i, got[max(0, i-2):min(len(got), i+6)], perKey)
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
