package publish_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/bridge/publish/publishtest"
)

// A stream made by hand, with settings the bridge does not manage, keeps
// every one of them through the bridge's update; only the managed fields
// change.
func TestEnsureStreamKeepsUnmanagedSettings(t *testing.T) {
	_, url := publishtest.StartNATS(t)
	js, err := jetstream.New(connect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	handMade := jetstream.StreamConfig{
		Name:              "EVENTS",
		Description:       "ours, with care",
		Subjects:          []string{"transloadit.v1.assemblies.>", "audit.>"},
		MaxMsgs:           123456,
		MaxMsgSize:        64 << 10,
		MaxMsgsPerSubject: 50,
		MaxConsumers:      7,
		AllowDirect:       true,
		AllowRollup:       true,
		DenyDelete:        true,
		Compression:       jetstream.S2Compression,
		Metadata:          map[string]string{"owner": "platform"},
		Duplicates:        time.Minute,
		MaxAge:            time.Hour,
	}
	if _, err := js.CreateStream(t.Context(), handMade); err != nil {
		t.Fatal(err)
	}
	before := streamInfo(t, js, "EVENTS").Config
	cfg := publish.StreamConfig{Name: "EVENTS", Subjects: []string{publish.StreamSubject("transloadit")},
		Duplicates: 5 * time.Minute, MaxAge: 48 * time.Hour, MaxBytes: 1 << 30}
	for range 2 {
		if err := publish.EnsureStream(t.Context(), js, cfg); err != nil {
			t.Fatalf("EnsureStream = %v; want nil", err)
		}
	}
	after := streamInfo(t, js, "EVENTS").Config
	if after.Duplicates != 5*time.Minute || after.MaxAge != 48*time.Hour || after.MaxBytes != 1<<30 {
		t.Errorf("managed fields: Duplicates %v, MaxAge %v, MaxBytes %d; want 5m, 48h, 1GiB", after.Duplicates, after.MaxAge, after.MaxBytes)
	}
	// Everything else is as it was.
	after.Duplicates, after.MaxAge, after.MaxBytes = before.Duplicates, before.MaxAge, before.MaxBytes
	after.Metadata, before.Metadata = nil, nil // the server's own version stamps
	if !reflect.DeepEqual(after, before) {
		t.Errorf("unmanaged settings changed:\n got %+v\nwant %+v", after, before)
	}
	if got := streamInfo(t, js, "EVENTS").Config.Metadata["owner"]; got != "platform" {
		t.Errorf("metadata owner = %q; want it kept", got)
	}
}

func TestEnsureStreamRefusesStorageChange(t *testing.T) {
	_, url := publishtest.StartNATS(t)
	js, err := jetstream.New(connect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	cfg := publish.StreamConfig{Name: "EVENTS", Subjects: []string{publish.StreamSubject("transloadit")}}
	if err := publish.EnsureStream(t.Context(), js, cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Storage = jetstream.MemoryStorage
	if err := publish.EnsureStream(t.Context(), js, cfg); !errors.Is(err, publish.ErrStreamMismatch) {
		t.Errorf("EnsureStream(memory over file) = %v; want ErrStreamMismatch", err)
	}
}

func TestCheckStream(t *testing.T) {
	_, url := publishtest.StartNATS(t)
	js, err := jetstream.New(connect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	cfg := publish.StreamConfig{Name: "EVENTS", Subjects: []string{publish.StreamSubject("transloadit")}}
	if err := publish.CheckStream(t.Context(), js, cfg); !errors.Is(err, publish.ErrStreamMismatch) {
		t.Errorf("CheckStream(missing) = %v; want ErrStreamMismatch", err)
	}
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"other.>"}}); err != nil {
		t.Fatal(err)
	}
	if err := publish.CheckStream(t.Context(), js, cfg); !errors.Is(err, publish.ErrStreamMismatch) {
		t.Errorf("CheckStream(wrong subjects) = %v; want ErrStreamMismatch", err)
	}
	if err := publish.EnsureStream(t.Context(), js, cfg); err != nil {
		t.Fatal(err)
	}
	if err := publish.CheckStream(t.Context(), js, cfg); err != nil {
		t.Errorf("CheckStream(ensured) = %v; want nil", err)
	}
	cfg.Duplicates = time.Hour
	if err := publish.CheckStream(t.Context(), js, cfg); !errors.Is(err, publish.ErrStreamMismatch) {
		t.Errorf("CheckStream(window too short) = %v; want ErrStreamMismatch", err)
	}
}

// The watch queue keeps one request per Assembly: a second one is refused
// by the server while the first is pending.
func TestWatchStoreOnePerAssembly(t *testing.T) {
	_, url := publishtest.StartNATS(t)
	nc := connect(t, url)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := publish.WatchStoreConfig{
		Stream:        publish.StreamConfig{Name: "EVENTS", Storage: jetstream.MemoryStorage},
		QueueSubjects: "transloadit.v1.watches.*",
	}
	if _, err := publish.CheckWatchStore(t.Context(), js, cfg); !errors.Is(err, publish.ErrStreamMismatch) {
		t.Errorf("CheckWatchStore(nothing there) = %v; want ErrStreamMismatch", err)
	}
	for range 2 {
		if _, err := publish.EnsureWatchStore(t.Context(), js, cfg); err != nil {
			t.Fatalf("EnsureWatchStore = %v", err)
		}
	}
	s, err := publish.CheckWatchStore(t.Context(), js, cfg)
	if err != nil {
		t.Fatalf("CheckWatchStore(ensured) = %v", err)
	}
	if s.QueueStream != "EVENTS_WATCHES" || s.AckWait != publish.DefaultWatchAckWait {
		t.Errorf("store %s, AckWait %v", s.QueueStream, s.AckWait)
	}
	if _, err := js.PublishMsg(t.Context(), &nats.Msg{Subject: "transloadit.v1.watches.a", Data: []byte("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(t.Context(), &nats.Msg{Subject: "transloadit.v1.watches.a", Data: []byte("2")}); err == nil {
		t.Error("second request for one Assembly was stored; want it refused")
	}
	if _, err := js.PublishMsg(t.Context(), &nats.Msg{Subject: "transloadit.v1.watches.b", Data: []byte("3")}); err != nil {
		t.Errorf("request for another Assembly: %v", err)
	}
}

// A watch queue managed elsewhere must keep one request per Assembly:
// without that rule two replicas could watch one Assembly.
func TestCheckWatchStoreRefusesALooseQueue(t *testing.T) {
	_, url := publishtest.StartNATS(t)
	js, err := jetstream.New(connect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	cfg := publish.WatchStoreConfig{Stream: publish.StreamConfig{Name: "EVENTS"}, QueueSubjects: "transloadit.v1.watches.*"}
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{
		Name: "EVENTS_WATCHES", Subjects: []string{"transloadit.v1.watches.*"}, Retention: jetstream.WorkQueuePolicy,
		Duplicates: 2 * time.Minute,
	}); err != nil {
		t.Fatal(err)
	}
	_, err = publish.CheckWatchStore(t.Context(), js, cfg)
	if !errors.Is(err, publish.ErrStreamMismatch) || !strings.Contains(err.Error(), "per subject") {
		t.Errorf("CheckWatchStore(loose queue) = %v; want ErrStreamMismatch about messages per subject", err)
	}
}
