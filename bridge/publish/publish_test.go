package publish_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/bridge/publish/publishtest"
)

const testStream = "TEST"

// testJetStreamConfig keeps retries quick so outages resolve fast in tests.
func testJetStreamConfig(t *testing.T) publish.JetStreamConfig {
	return publish.JetStreamConfig{
		AckTimeout: 2 * time.Second,
		MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond,
		Logger:     zaptest.NewLogger(t),
	}
}

// connect connects to url the way the service does, with a short
// reconnect wait, and closes the connection when the test ends.
func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := publish.Connect(t.Context(), publish.NATSConfig{URL: url, ReconnectWait: 50 * time.Millisecond}, publishtest.Logger(t))
	if err != nil {
		t.Fatalf("Connect(%s) = %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func ensureTestStream(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	err := publish.EnsureStream(t.Context(), js, publish.StreamConfig{
		Name:     testStream,
		Subjects: []string{publish.StreamSubject(publishtest.Prefix)},
	})
	if err != nil {
		t.Fatalf("EnsureStream = %v", err)
	}
}

// jetStreamBackend is one embedded server with the test stream, and a
// connection to it for reading back.
type jetStreamBackend struct {
	mu  sync.Mutex // guards srv
	srv *server.Server
	nc  *nats.Conn
	js  jetstream.JetStream
}

func newJetStreamBackend(t *testing.T) *jetStreamBackend {
	t.Helper()
	srv, url := publishtest.StartNATS(t)
	nc := connect(t, url)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ensureTestStream(t, js)
	return &jetStreamBackend{srv: srv, nc: nc, js: js}
}

func (b *jetStreamBackend) features(maxPayload int) publishtest.Features {
	return publishtest.Features{
		Dedupe:     true,
		Ordered:    true,
		Durable:    true,
		MaxPayload: maxPayload,
		Read: func(t *testing.T, filter string, want int) []publish.Message {
			return publishtest.ReadStreamT(t, b.js, testStream, filter, want)
		},
		Outage: func(t *testing.T) func() {
			b.mu.Lock()
			srv := b.srv
			b.mu.Unlock()
			srv.Shutdown()
			srv.WaitForShutdown()
			return func() {
				b.mu.Lock()
				defer b.mu.Unlock()
				b.srv = publishtest.RestartNATS(t, srv)
			}
		},
	}
}

func TestJetStreamPublisher(t *testing.T) {
	publishtest.TestPublisher(t, func(t *testing.T) (publish.Publisher, publishtest.Features) {
		b := newJetStreamBackend(t)
		pc := connect(t, b.srv.ClientURL())
		p, err := publish.NewJetStream(pc, testJetStreamConfig(t))
		if err != nil {
			t.Fatal(err)
		}
		return p, b.features(int(pc.MaxPayload()))
	})
}

// TestJetStreamPublisherPipelined runs the suite on a connection without
// a reconnect buffer, where each Key has several messages in flight.
func TestJetStreamPublisherPipelined(t *testing.T) {
	publishtest.TestPublisher(t, func(t *testing.T) (publish.Publisher, publishtest.Features) {
		b := newJetStreamBackend(t)
		pc := connectUnbuffered(t, b.srv.ClientURL())
		p, err := publish.NewJetStream(pc, testJetStreamConfig(t))
		if err != nil {
			t.Fatal(err)
		}
		return p, b.features(int(pc.MaxPayload()))
	})
}

func TestCorePublisher(t *testing.T) {
	publishtest.TestPublisher(t, func(t *testing.T) (publish.Publisher, publishtest.Features) {
		_, url := publishtest.StartNATS(t)
		c := publishtest.Collect(t, connect(t, url), publishtest.Prefix+".>")
		pc := connect(t, url)
		p, err := publish.NewCore(pc, publish.CoreConfig{Logger: zaptest.NewLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		return p, publishtest.Features{
			Ordered:    true,
			MaxPayload: int(pc.MaxPayload()),
			Read:       func(t *testing.T, filter string, want int) []publish.Message { return c.Wait(t, filter, want) },
		}
	})
}

func TestMemoryPublisher(t *testing.T) {
	publishtest.TestPublisher(t, func(t *testing.T) (publish.Publisher, publishtest.Features) {
		p := publish.NewMemory(publish.MemoryConfig{})
		return p, publishtest.Features{
			Dedupe:     true,
			Ordered:    true,
			Durable:    true,
			MaxPayload: 1 << 20,
			Read: func(_ *testing.T, filter string, _ int) []publish.Message {
				return publishtest.FilterMessages(p.Messages(), filter)
			},
			Outage: func(*testing.T) func() {
				p.SetOutage(true)
				return func() { p.SetOutage(false) }
			},
		}
	})
}

// recorder is a Observer that keeps what it is told.
type recorder struct {
	mu         sync.Mutex // guards published, duplicates, failures
	published  []string
	duplicates []string
	failures   []error
	failed     chan struct{} // receives (without blocking) on each failure
}

func newRecorder() *recorder { return &recorder{failed: make(chan struct{}, 1)} }

func (r *recorder) Published(m publish.Message, duplicate bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.published = append(r.published, m.ID)
	if duplicate {
		r.duplicates = append(r.duplicates, m.ID)
	}
}

func (r *recorder) PublishFailed(_ publish.Message, err error, _ bool) {
	r.mu.Lock()
	r.failures = append(r.failures, err)
	r.mu.Unlock()
	select {
	case r.failed <- struct{}{}:
	default:
	}
}

func (r *recorder) snapshot() (published, duplicates []string, failures []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.published), slices.Clone(r.duplicates), slices.Clone(r.failures)
}

func newJetStreamPublisher(t *testing.T, nc *nats.Conn, obs publish.Observer) *publish.JetStream {
	t.Helper()
	cfg := testJetStreamConfig(t)
	cfg.Observer = obs
	p, err := publish.NewJetStream(nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("Close = %v; want nil", err)
		}
	})
	return p
}

func testMessage(key string, n int) publish.Message {
	return publish.Message{
		Subject: fmt.Sprintf("%s.v1.assemblies.%s.e%d", publishtest.Prefix, key, n),
		ID:      fmt.Sprintf("%s/e%d", key, n),
		Data:    fmt.Appendf(nil, `{"n":%d}`, n),
		Key:     key,
	}
}

func testKey(i int) string { return fmt.Sprintf("%032x", i+1) }

func TestJetStreamDuplicateIsAcknowledged(t *testing.T) {
	b := newJetStreamBackend(t)
	rec := newRecorder()
	p := newJetStreamPublisher(t, b.nc, rec)
	m := testMessage(testKey(0), 0)
	for range 2 {
		if err := p.Publish(t.Context(), m); err != nil {
			t.Fatalf("Publish = %v; want nil", err)
		}
	}
	published, duplicates, _ := rec.snapshot()
	if !slices.Equal(published, []string{m.ID, m.ID}) || !slices.Equal(duplicates, []string{m.ID}) {
		t.Errorf("observed published %q, duplicates %q; want both publishes acknowledged, the second as duplicate", published, duplicates)
	}
	if got := publishtest.ReadStreamT(t, b.js, testStream, ">", 1); len(got) != 1 {
		t.Errorf("stream holds %d messages; want 1", len(got))
	}
}

func TestJetStreamMessageHeaders(t *testing.T) {
	b := newJetStreamBackend(t)
	p := newJetStreamPublisher(t, b.nc, nil)
	m := testMessage(testKey(0), 0)
	if err := p.Publish(t.Context(), m); err != nil {
		t.Fatalf("Publish = %v; want nil", err)
	}
	st, err := b.js.Stream(t.Context(), testStream)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := st.GetMsg(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := raw.Header.Get("Nats-Msg-Id"); got != m.ID {
		t.Errorf("Nats-Msg-Id = %q; want %q", got, m.ID)
	}
	if got := raw.Header.Get("Content-Type"); got != publish.ContentType {
		t.Errorf("Content-Type = %q; want %q", got, publish.ContentType)
	}
}

// TestJetStreamRetriesUntilStreamExists: with no stream capturing the
// subject, attempts fail (no responders) and are retried; once the stream
// exists the message is stored, once.
func TestJetStreamRetriesUntilStreamExists(t *testing.T) {
	_, url := publishtest.StartNATS(t)
	nc := connect(t, url)
	rec := newRecorder()
	p := newJetStreamPublisher(t, nc, rec)
	m := testMessage(testKey(0), 0)
	done := make(chan error, 1)
	go func() { done <- p.Publish(t.Context(), m) }()
	select {
	case <-rec.failed:
	case err := <-done:
		t.Fatalf("Publish without a stream = %v; want it to keep retrying", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ensureTestStream(t, js)
	if err := <-done; err != nil {
		t.Fatalf("Publish = %v; want nil once the stream exists", err)
	}
	_, _, failures := rec.snapshot()
	for _, err := range failures {
		if !errors.Is(err, jetstream.ErrNoStreamResponse) {
			t.Errorf("attempt failed with %v; want ErrNoStreamResponse", err)
		}
	}
	if got := publishtest.ReadStreamT(t, js, testStream, ">", 1); len(got) != 1 || got[0].ID != m.ID {
		t.Errorf("stream holds %q; want [%s]", idsOf(got), m.ID)
	}
}

// TestJetStreamOutageMidStream shuts the server down while several Keys
// publish continuously, restarts it on the same port and store, and
// expects every message stored exactly once, in order per Key.
func TestJetStreamOutageMidStream(t *testing.T) {
	b := newJetStreamBackend(t)
	p := newJetStreamPublisher(t, b.nc, nil)
	const keys, perKey = 8, 40
	var acked sync.WaitGroup // the first few messages of every Key
	acked.Add(keys)
	errs := make(chan error, keys)
	var wg sync.WaitGroup
	for k := range keys {
		wg.Go(func() {
			for n := range perKey {
				if err := p.Publish(t.Context(), testMessage(testKey(k), n)); err != nil {
					errs <- err
					return
				}
				if n == 4 {
					acked.Done()
				}
			}
		})
	}
	acked.Wait()
	b.srv.Shutdown()
	b.srv.WaitForShutdown()
	if b.nc.IsConnected() {
		// The client notices the closed socket asynchronously; wait for it
		// so the publishes below really meet the outage.
		waitFor(t, func() bool { return !b.nc.IsConnected() })
	}
	time.Sleep(300 * time.Millisecond)
	b.srv = publishtest.RestartNATS(t, b.srv)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Publish across the outage = %v; want nil", err)
	}

	got := publishtest.ReadStreamT(t, b.js, testStream, ">", keys*perKey)
	perKeyIDs := make(map[string][]string)
	seen := make(map[string]int)
	for _, m := range got {
		seen[m.ID]++
		key, _, _ := strings.Cut(m.ID, "/")
		perKeyIDs[key] = append(perKeyIDs[key], m.ID)
	}
	for k := range keys {
		var want []string
		for n := range perKey {
			want = append(want, testMessage(testKey(k), n).ID)
		}
		if !slices.Equal(perKeyIDs[testKey(k)], want) {
			t.Errorf("key %d: stored %q; want %q", k, perKeyIDs[testKey(k)], want)
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s stored %d times; want 1", id, n)
		}
	}
}

// TestJetStreamAttemptBufferedDuringOutageIsNotStoredTwice reproduces a
// publish that timed out while NATS was down but still sat in the client's
// reconnect buffer: after the reconnect it is stored, and the retry with
// the same ID must not store it again.
func TestJetStreamAttemptBufferedDuringOutageIsNotStoredTwice(t *testing.T) {
	b := newJetStreamBackend(t)
	rec := newRecorder()
	p := newJetStreamPublisher(t, b.nc, rec)
	m := testMessage(testKey(0), 0)
	b.srv.Shutdown()
	b.srv.WaitForShutdown()
	waitFor(t, func() bool { return !b.nc.IsConnected() })
	early := &nats.Msg{Subject: m.Subject, Data: m.Data, Header: nats.Header{"Nats-Msg-Id": []string{m.ID}}}
	if err := b.nc.PublishMsg(early); err != nil {
		t.Fatalf("buffered publish = %v", err)
	}
	b.srv = publishtest.RestartNATS(t, b.srv)
	if err := p.Publish(t.Context(), m); err != nil {
		t.Fatalf("Publish after the outage = %v; want nil", err)
	}
	got := publishtest.ReadStreamT(t, b.js, testStream, ">", 1)
	if len(got) != 1 || got[0].ID != m.ID {
		t.Fatalf("stream holds %q; want [%s] once", idsOf(got), m.ID)
	}
	_, duplicates, _ := rec.snapshot()
	// The buffered copy is stored only if JetStream was ready when it
	// arrived; either way there is one copy.
	t.Logf("retry acknowledged as duplicate: %v", len(duplicates) == 1)
}

// TestJetStreamPublishWaitsForFirstConnect: a publisher made before NATS is
// reachable holds the message until NATS is up and the stream exists.
func TestJetStreamPublishWaitsForFirstConnect(t *testing.T) {
	port := freePort(t)
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	nc := connect(t, url)
	if nc.IsConnected() {
		t.Fatal("connected before the server started")
	}
	p := newJetStreamPublisher(t, nc, nil)
	m := testMessage(testKey(0), 0)
	done := make(chan error, 1)
	go func() { done <- p.Publish(t.Context(), m) }()

	srv, err := publish.StartEmbedded(publish.EmbeddedConfig{Port: port, StoreDir: t.TempDir(), JetStream: true})
	if err != nil {
		t.Fatalf("StartEmbedded = %v", err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	if err := publish.AwaitConnected(t.Context(), nc); err != nil {
		t.Fatalf("AwaitConnected = %v", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ensureTestStream(t, js)
	if err := <-done; err != nil {
		t.Fatalf("Publish = %v; want nil", err)
	}
	if got := publishtest.ReadStreamT(t, js, testStream, ">", 1); len(got) != 1 {
		t.Errorf("stream holds %d messages; want 1", len(got))
	}
}

// TestJetStreamConnectionClosed: a closed connection fails Publish at once.
func TestJetStreamConnectionClosed(t *testing.T) {
	b := newJetStreamBackend(t)
	nc := connect(t, b.srv.ClientURL())
	p := newJetStreamPublisher(t, nc, nil)
	nc.Close()
	err := p.Publish(t.Context(), testMessage(testKey(0), 0))
	if !errors.Is(err, publish.ErrPublisherClosed) || !errors.Is(err, nats.ErrConnectionClosed) {
		t.Fatalf("Publish on a closed connection = %v; want ErrPublisherClosed wrapping nats.ErrConnectionClosed", err)
	}
}

func TestNewJetStreamPublisherRejectsBadConfig(t *testing.T) {
	if _, err := publish.NewJetStream(nil, publish.JetStreamConfig{}); !errors.Is(err, publish.ErrInvalidNATSConfig) {
		t.Errorf("NewJetStream(nil conn) = %v; want ErrInvalidNATSConfig", err)
	}
	_, url := publishtest.StartNATS(t)
	nc := connect(t, url)
	if _, err := publish.NewJetStream(nc, publish.JetStreamConfig{MaxInFlight: -1}); !errors.Is(err, publish.ErrInvalidNATSConfig) {
		t.Errorf("NewJetStream(MaxInFlight -1) = %v; want ErrInvalidNATSConfig", err)
	}
	if _, err := publish.NewCore(nil, publish.CoreConfig{}); !errors.Is(err, publish.ErrInvalidNATSConfig) {
		t.Errorf("NewCore(nil conn) = %v; want ErrInvalidNATSConfig", err)
	}
}

func TestMemoryPublisherOnStoredAndBound(t *testing.T) {
	var stored []string
	p := publish.NewMemory(publish.MemoryConfig{
		MaxMessages: 3,
		OnStored:    func(m publish.Message) { stored = append(stored, m.ID) },
	})
	key := testKey(0)
	var msgs []publish.Message
	for n := range 5 {
		msgs = append(msgs, testMessage(key, n))
	}
	if err := p.Publish(t.Context(), append(msgs, msgs[4])...); err != nil {
		t.Fatalf("Publish = %v; want nil", err)
	}
	if want := idsOf(msgs); !slices.Equal(stored, want) {
		t.Errorf("OnStored saw %q; want %q (the repeated last one once)", stored, want)
	}
	if got, want := idsOf(p.Messages()), idsOf(msgs[2:]); !slices.Equal(got, want) {
		t.Errorf("Messages() = %q; want the newest three %q", got, want)
	}
}

func TestEnsureStream(t *testing.T) {
	_, url := publishtest.StartNATS(t)
	js, err := jetstream.New(connect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	cfg := publish.StreamConfig{Name: "EVENTS", Subjects: []string{publish.StreamSubject("transloadit")}}
	for range 2 {
		if err := publish.EnsureStream(t.Context(), js, cfg); err != nil {
			t.Fatalf("EnsureStream = %v; want nil", err)
		}
	}
	info := streamInfo(t, js, "EVENTS")
	if info.Config.Duplicates != 2*time.Minute {
		t.Errorf("Duplicates = %v; want the 2m default", info.Config.Duplicates)
	}
	if !slices.Equal(info.Config.Subjects, []string{"transloadit.v1.assemblies.>"}) {
		t.Errorf("Subjects = %q; want [transloadit.v1.assemblies.>]", info.Config.Subjects)
	}
	if info.Config.Storage != jetstream.FileStorage || info.Config.MaxAge != 7*24*time.Hour {
		t.Errorf("Storage %v, MaxAge %v; want file storage and 7 days", info.Config.Storage, info.Config.MaxAge)
	}

	cfg.Duplicates = 10 * time.Minute
	if err := publish.EnsureStream(t.Context(), js, cfg); err != nil {
		t.Fatalf("EnsureStream(Duplicates 10m) = %v; want nil", err)
	}
	if got := streamInfo(t, js, "EVENTS").Config.Duplicates; got != 10*time.Minute {
		t.Errorf("Duplicates after update = %v; want 10m", got)
	}
}

func TestEnsureStreamRejectsBadConfig(t *testing.T) {
	subjects := []string{publish.StreamSubject("x")}
	tests := []struct {
		name string
		in   publish.StreamConfig
	}{
		{"no name", publish.StreamConfig{Subjects: subjects}},
		{"no subjects", publish.StreamConfig{Name: "S"}},
		{"short duplicate window", publish.StreamConfig{Name: "S", Subjects: subjects, Duplicates: 500 * time.Millisecond}},
		{"unknown storage", publish.StreamConfig{Name: "S", Subjects: subjects, Storage: 7}},
		{"max age below window", publish.StreamConfig{Name: "S", Subjects: subjects, MaxAge: time.Minute}},
		{"negative replicas", publish.StreamConfig{Name: "S", Subjects: subjects, Replicas: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A nil manager shows the config is rejected before any request.
			if err := publish.EnsureStream(t.Context(), nil, tt.in); !errors.Is(err, publish.ErrInvalidNATSConfig) {
				t.Errorf("EnsureStream(%+v) = %v; want ErrInvalidNATSConfig", tt.in, err)
			}
		})
	}
}

func streamInfo(t *testing.T, js jetstream.JetStream, name string) *jetstream.StreamInfo {
	t.Helper()
	st, err := js.Stream(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestConnectOptionsRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	const url = "nats://127.0.0.1:4222"
	tests := []struct {
		name string
		in   publish.NATSConfig
	}{
		{"no URL", publish.NATSConfig{}},
		{"user and token", publish.NATSConfig{URL: url, User: "u", Token: "t"}},
		{"creds and nkey", publish.NATSConfig{URL: url, CredsFile: notPEM, NKeySeedFile: notPEM}},
		{"password without user", publish.NATSConfig{URL: url, Password: "p"}},
		{"user without password", publish.NATSConfig{URL: url, User: "u"}},
		{"negative drain timeout", publish.NATSConfig{URL: url, DrainTimeout: -time.Second}},
		{"cert without key", publish.NATSConfig{URL: url, TLSCertFile: notPEM}},
		{"missing creds file", publish.NATSConfig{URL: url, CredsFile: missing}},
		{"bad nkey seed file", publish.NATSConfig{URL: url, NKeySeedFile: notPEM}},
		{"missing CA file", publish.NATSConfig{URL: url, TLSCAFile: missing}},
		{"CA file without PEM", publish.NATSConfig{URL: url, TLSCAFile: notPEM}},
		{"bad cert and key", publish.NATSConfig{URL: url, TLSCertFile: notPEM, TLSKeyFile: notPEM}},
		{"negative reconnect wait", publish.NATSConfig{URL: url, ReconnectWait: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := publish.ConnectOptions(tt.in, nil); !errors.Is(err, publish.ErrInvalidNATSConfig) {
				t.Errorf("ConnectOptions(%+v) = %v; want ErrInvalidNATSConfig", tt.in, err)
			}
		})
	}
}

// TestConnectAuth connects with each kind of credential to a server that
// requires it.
func TestConnectAuth(t *testing.T) {
	tests := []struct {
		name   string
		server server.Options
		client publish.NATSConfig
	}{
		{"user and password", server.Options{Username: "bridge", Password: "s3cret"}, publish.NATSConfig{User: "bridge", Password: "s3cret"}},
		{"token", server.Options{Authorization: "t0ken"}, publish.NATSConfig{Token: "t0ken"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := startServer(t, &tt.server)
			tt.client.URL = url
			nc := connectWith(t, tt.client)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if err := publish.AwaitConnected(ctx, nc); err != nil {
				t.Fatalf("AwaitConnected = %v; want nil", err)
			}
		})
	}
}

// TestConnectTLS connects with a private CA and a client certificate to a
// server that verifies both sides.
func TestConnectTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCA(t)
	serverCert := newLeaf(t, ca, caKey, false)
	clientCert := newLeaf(t, ca, caKey, true)
	caFile := writePEM(t, dir, "ca.pem", "CERTIFICATE", ca.Raw)
	certFile := writePEM(t, dir, "client.pem", "CERTIFICATE", clientCert.Certificate[0])
	keyDER, err := x509.MarshalECPrivateKey(clientCert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := writePEM(t, dir, "client-key.pem", "EC PRIVATE KEY", keyDER)

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	url := startServer(t, &server.Options{
		TLS:       true,
		TLSVerify: true,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{serverCert},
			ClientCAs:    pool,
			ClientAuth:   tls.RequireAndVerifyClientCert,
			MinVersion:   tls.VersionTLS12,
		},
	})
	nc := connectWith(t, publish.NATSConfig{URL: url, TLSCAFile: caFile, TLSCertFile: certFile, TLSKeyFile: keyFile})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := publish.AwaitConnected(ctx, nc); err != nil {
		t.Fatalf("AwaitConnected = %v; want nil", err)
	}
	if _, err := nc.TLSConnectionState(); err != nil {
		t.Errorf("TLSConnectionState = %v; want a TLS connection", err)
	}
}

func TestAwaitConnectedReturnsOnClose(t *testing.T) {
	nc := connect(t, fmt.Sprintf("nats://127.0.0.1:%d", freePort(t)))
	done := make(chan error, 1)
	go func() { done <- publish.AwaitConnected(context.Background(), nc) }()
	nc.Close()
	if err := <-done; !errors.Is(err, nats.ErrConnectionClosed) {
		t.Fatalf("AwaitConnected on a closed connection = %v; want nats.ErrConnectionClosed", err)
	}
}

func TestStartEmbedded(t *testing.T) {
	if _, err := publish.StartEmbedded(publish.EmbeddedConfig{JetStream: true}); !errors.Is(err, publish.ErrInvalidNATSConfig) {
		t.Errorf("StartEmbedded(JetStream without StoreDir) = %v; want ErrInvalidNATSConfig", err)
	}
	core, logs := observer.New(zap.InfoLevel)
	srv, err := publish.StartEmbedded(publish.EmbeddedConfig{Port: -1, StoreDir: t.TempDir(), JetStream: true, MaxPayload: 4096, Logger: zap.New(core)})
	if err != nil {
		t.Fatalf("StartEmbedded = %v", err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	nc := connect(t, srv.ClientURL())
	if got := nc.MaxPayload(); got != 4096 {
		t.Errorf("MaxPayload = %d; want 4096", got)
	}
	if logs.FilterMessageSnippet("Starting nats-server").Len() == 0 {
		t.Error("the server's start was not logged")
	}
}

func startServer(t *testing.T, opts *server.Options) string {
	t.Helper()
	opts.Host, opts.Port, opts.NoLog, opts.NoSigs = "127.0.0.1", -1, true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	return s.ClientURL()
}

func connectWith(t *testing.T, cfg publish.NATSConfig) *nats.Conn {
	t.Helper()
	nc, err := publish.Connect(t.Context(), cfg, publishtest.Logger(t))
	if err != nil {
		t.Fatalf("Connect = %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func newCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func newLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, client bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	if client {
		tmpl.SerialNumber = big.NewInt(3)
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func idsOf(msgs []publish.Message) []string {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return ids
}

// An address another process holds is reported at once, with its cause,
// instead of a start timeout.
func TestStartEmbeddedAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = publish.StartEmbedded(publish.EmbeddedConfig{Port: port, StoreDir: t.TempDir(), JetStream: true})
	if !errors.Is(err, publish.ErrEmbeddedListen) || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("StartEmbedded on a taken port = %v; want ErrEmbeddedListen naming the cause", err)
	}
}
