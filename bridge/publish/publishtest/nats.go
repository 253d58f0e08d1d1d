package publishtest

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/bridge/publish"
)

// readTimeout bounds how long a read waits for the messages it wants.
const readTimeout = 10 * time.Second

// started remembers where each server from StartNATS listens and stores,
// so RestartNATS can bring it back after it was shut down (the server no
// longer reports either then).
var started = struct {
	sync.Mutex // guards m
	m          map[*server.Server]natsPlace
}{m: make(map[*server.Server]natsPlace)}

type natsPlace struct {
	port     int
	storeDir string
}

// StartNATS starts an embedded nats-server with JetStream on a random
// loopback port, storing in a fresh t.TempDir(), and returns it with its
// client URL. It is shut down when the test ends.
func StartNATS(t testing.TB) (*server.Server, string) {
	t.Helper()
	s := startNATS(t, natsPlace{port: -1, storeDir: t.TempDir()})
	return s, s.ClientURL()
}

// RestartNATS shuts s (from StartNATS or RestartNATS) down if it is still
// running and starts a new server on the same port with the same store
// directory, so streams, messages and de-duplication state survive. The
// new server is shut down when the test ends.
func RestartNATS(t testing.TB, s *server.Server) *server.Server {
	t.Helper()
	started.Lock()
	place, ok := started.m[s]
	started.Unlock()
	if !ok {
		t.Fatal("publishtest: RestartNATS needs a server from StartNATS")
	}
	s.Shutdown()
	s.WaitForShutdown()
	return startNATS(t, place)
}

func startNATS(t testing.TB, place natsPlace) *server.Server {
	t.Helper()
	s, err := publish.StartEmbedded(publish.EmbeddedConfig{
		Host:      "127.0.0.1",
		Port:      place.port,
		StoreDir:  place.storeDir,
		JetStream: true,
	})
	if err != nil {
		t.Fatalf("start nats-server: %v", err)
	}
	// Registered after t.TempDir, so it runs before the store is removed.
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
		started.Lock()
		delete(started.m, s)
		started.Unlock()
	})
	place.port = s.Addr().(*net.TCPAddr).Port
	started.Lock()
	started.m[s] = place
	started.Unlock()
	return s
}

// ReadStream returns the messages of stream whose subject matches filter,
// in stream order, once there are at least want of them. Errors reading
// the stream (a server still restarting) are retried; if ctx ends first,
// it returns what it has with ctx's error joined to the last such error.
// Message.Key is not stored, so it is empty.
func ReadStream(ctx context.Context, js jetstream.StreamManager, stream, filter string, want int) ([]publish.Message, error) {
	var out []publish.Message
	var lastErr error // kept until ctx ends: typically the server is still starting after a restart
	next := uint64(1)
	for {
		batch, last, err := readStreamFrom(ctx, js, stream, next)
		lastErr = err
		out = append(out, FilterMessages(batch, filter)...)
		if last >= next {
			next = last + 1
		}
		if len(out) >= want {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return out, errors.Join(ctx.Err(), lastErr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// readStreamFrom returns the stream's messages from sequence from on, and
// the last sequence it looked at.
func readStreamFrom(ctx context.Context, js jetstream.StreamManager, stream string, from uint64) ([]publish.Message, uint64, error) {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, 0, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, 0, err
	}
	var out []publish.Message
	for seq := max(from, info.State.FirstSeq); seq <= info.State.LastSeq; seq++ {
		raw, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, publish.Message{Subject: raw.Subject, ID: raw.Header.Get(jetstream.MsgIDHeader), Data: raw.Data})
	}
	return out, info.State.LastSeq, nil
}

// ReadStreamT is ReadStream for tests: it waits at most a few seconds and
// then logs why and returns what it has (the test's assertions report what
// is missing).
func ReadStreamT(t testing.TB, js jetstream.StreamManager, stream, filter string, want int) []publish.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	msgs, err := ReadStream(ctx, js, stream, filter, want)
	if err != nil {
		t.Logf("read stream %s: got %d of %d messages: %v", stream, len(msgs), want, err)
	}
	return msgs
}

// Collector records what a core NATS subscription receives.
type Collector struct {
	mu   sync.Mutex // guards msgs
	msgs []publish.Message
}

// Collect subscribes nc to subject and records every message from now on;
// the subscription is active when Collect returns and is removed when the
// test ends.
func Collect(t testing.TB, nc *nats.Conn, subject string) *Collector {
	t.Helper()
	c := &Collector{}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.msgs = append(c.msgs, publish.Message{Subject: m.Subject, ID: m.Header.Get(jetstream.MsgIDHeader), Data: m.Data})
	})
	if err != nil {
		t.Fatalf("subscribe %s: %v", subject, err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush subscription %s: %v", subject, err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return c
}

// Messages returns what was received so far, in arrival order.
func (c *Collector) Messages() []publish.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

// Wait returns the received messages matching filter once there are at
// least want of them, or after a few seconds whatever there is.
func (c *Collector) Wait(t testing.TB, filter string, want int) []publish.Message {
	t.Helper()
	deadline := time.Now().Add(readTimeout)
	for {
		got := FilterMessages(c.Messages(), filter)
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ConnectJetStream connects a client to url, as a consumer or a test's
// own publisher would, and returns it with its JetStream context. The
// connection is closed when the test ends.
func ConnectJetStream(t testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}
