// Package consumetest runs a whole tlbridge inside a test or an example:
// an embedded NATS server with JetStream, the Transloadit simulator and
// the bridge answering watch requests, so a consumer's tests talk to the
// real thing, as httptest does for HTTP clients.
package consumetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
)

// Stream is the stream the bridge publishes to.
const Stream = "TRANSLOADIT"

// Bridge is a running bridge with its NATS server and simulator. The
// caller must call Close (New and NewNATS do it when the test ends).
type Bridge struct {
	// URL is the NATS server's client URL.
	URL string
	// Conn is a connection to it for the caller's own use.
	Conn *nats.Conn
	// JetStream is Conn's JetStream context.
	JetStream jetstream.JetStream
	// Sim is the Transloadit simulator the bridge watches. Nil without
	// the bridge (NewNATS, StartNATS). Inside this module Sim.Create
	// starts a scripted Assembly; from another module, create one with
	// a POST to Sim.URL + "/assemblies", as with Transloadit.
	Sim *transloadittest.Server

	closers []func() error // undone in reverse by Close
}

// New is [Start] for a test: it fails the test if the bridge does not
// start, and closes it when the test ends.
func New(t testing.TB) *Bridge {
	t.Helper()
	return forTest(t, Start)
}

// NewNATS is [StartNATS] for a test.
func NewNATS(t testing.TB) *Bridge {
	t.Helper()
	return forTest(t, StartNATS)
}

func forTest(t testing.TB, start func() (*Bridge, error)) *Bridge {
	t.Helper()
	b, err := start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("consumetest: %v", err)
		}
	})
	return b
}

// Start starts NATS (random loopback port, store in a temporary
// directory), the stream, the simulator with a tick of 5 ms and the
// bridge with its watch intake under the default subject prefix.
func Start() (*Bridge, error) {
	b, err := StartNATS()
	if err != nil {
		return nil, err
	}
	b.Sim = transloadittest.NewServer(transloadittest.WithTick(5 * time.Millisecond))
	b.closers = append(b.closers, func() error { b.Sim.Close(); return nil })
	if err := b.startBridge(); err != nil {
		return nil, errors.Join(err, b.Close())
	}
	return b, nil
}

// StartNATS starts NATS and the stream only, for callers that publish
// events themselves ([Bridge.Publish]).
func StartNATS() (b *Bridge, err error) {
	b = &Bridge{}
	defer func() {
		if err != nil {
			err = errors.Join(fmt.Errorf("consumetest: %w", err), b.Close())
		}
	}()
	dir, err := os.MkdirTemp("", "consumetest-")
	if err != nil {
		return nil, err
	}
	b.closers = append(b.closers, func() error { return os.RemoveAll(dir) })
	s, err := publish.StartEmbedded(publish.EmbeddedConfig{Port: -1, StoreDir: dir, JetStream: true})
	if err != nil {
		return nil, err
	}
	b.closers = append(b.closers, func() error { s.Shutdown(); s.WaitForShutdown(); return nil })
	b.URL = s.ClientURL()
	if b.Conn, err = nats.Connect(b.URL, nats.Name("consumetest")); err != nil {
		return nil, err
	}
	b.closers = append(b.closers, func() error { b.Conn.Close(); return nil })
	if b.JetStream, err = jetstream.New(b.Conn); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return b, publish.EnsureStream(ctx, b.JetStream, publish.StreamConfig{Name: Stream, Subjects: []string{schemas.AllSubjects("")}})
}

// Close stops everything Start started, in reverse order.
func (b *Bridge) Close() error {
	var errs []error
	for i := len(b.closers) - 1; i >= 0; i-- {
		errs = append(errs, b.closers[i]())
	}
	b.closers = nil
	return errors.Join(errs...)
}

func (b *Bridge) startBridge() error {
	pub, err := publish.NewJetStream(b.Conn, publish.JetStreamConfig{})
	if err != nil {
		return fmt.Errorf("consumetest: publisher: %w", err)
	}
	b.closers = append(b.closers, func() error { return closeWithin(pub.Close) })
	interval := 50 * time.Millisecond
	p, err := poller.New(poller.Config{APIBase: b.Sim.URL, AllowList: b.Sim.AllowList()})
	if err != nil {
		return fmt.Errorf("consumetest: poller: %w", err)
	}
	m, err := bridge.NewManager(bridge.ManagerConfig{
		Poller: p, Publisher: pub, AllowList: b.Sim.AllowList(),
		Prefix: schemas.DefaultPrefix, Instance: "consumetest", PollInterval: interval,
		MaxPayload: int(b.Conn.MaxPayload()), Logger: zap.NewNop(),
	})
	if err != nil {
		return fmt.Errorf("consumetest: manager: %w", err)
	}
	b.closers = append(b.closers, func() error { return closeWithin(m.Shutdown) })
	// The intake's requests live as long as the bridge: its closers stop
	// the subscription before the Manager.
	in, err := bridge.ServeNATSIntake(context.Background(), b.Conn, schemas.DefaultPrefix, m, zap.NewNop())
	if err != nil {
		return fmt.Errorf("consumetest: intake: %w", err)
	}
	b.closers = append(b.closers, in.Close)
	return nil
}

func closeWithin(f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return f(ctx)
}

// Publish stores ev in the stream under its subject, as the bridge would,
// with its ID as Nats-Msg-Id.
func (b *Bridge) Publish(t testing.TB, ev schemas.Event) {
	t.Helper()
	data, err := schemas.Encode(ev)
	if err != nil {
		t.Fatalf("consumetest: encode: %v", err)
	}
	b.PublishRaw(t, ev.Subject, ev.ID, data)
}

// PublishRaw stores data under subject, e.g. a message that is not an
// event at all; id, if set, is its Nats-Msg-Id.
func (b *Bridge) PublishRaw(t testing.TB, subject, id string, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var opts []jetstream.PublishOpt
	if id != "" {
		opts = append(opts, jetstream.WithMsgID(id))
	}
	if _, err := b.JetStream.Publish(ctx, subject, data, opts...); err != nil {
		t.Fatalf("consumetest: publish %s: %v", subject, err)
	}
}
