package bridge_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/schematest"
)

const testPrefix = "transloadit"

// The transport modes every worker scenario runs in, the way net/http runs
// its tests over HTTP/1 and HTTP/2.
const (
	modeSSE  = "sse"
	modePoll = "poll"
)

func forModes(t *testing.T, f func(t *testing.T, mode string)) {
	for _, mode := range []string{modeSSE, modePoll} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			f(t, mode)
		})
	}
}

// harness is a manager wired to the simulator and a memory publisher.
type harness struct {
	srv *transloadittest.Server
	pub *publish.Memory
	m   *bridge.Manager
}

func newHarness(t testing.TB, mode string, tune func(*bridge.ManagerConfig), opts ...transloadittest.Option) *harness {
	t.Helper()
	srv := transloadittest.NewServer(opts...)
	t.Cleanup(srv.Close)
	p, err := poller.New(poller.Config{APIBase: srv.URL, AllowList: srv.AllowList()})
	if err != nil {
		t.Fatal(err)
	}
	pub := publish.NewMemory(publish.MemoryConfig{})
	cfg := bridge.ManagerConfig{
		Poller: p, Publisher: pub, AllowList: srv.AllowList(), Prefix: testPrefix,
		Instance: "test", PollInterval: 50 * time.Millisecond, DisableStream: mode == modePoll,
		NotFoundGrace: 300 * time.Millisecond, Logger: zaptest.NewLogger(t),
	}
	if tune != nil {
		tune(&cfg)
	}
	m, err := bridge.NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := pub.Close(ctx); err != nil {
			t.Errorf("publisher Close: %v", err)
		}
	})
	return &harness{srv: srv, pub: pub, m: m}
}

func (h *harness) create(t testing.TB, sc transloadittest.Script) *transloadit.Status {
	t.Helper()
	st, err := h.srv.Create(context.Background(), sc)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return st
}

// watch asks for a watch of st as a client holding the create response
// would, and waits for its outcome.
func (h *harness) watch(t testing.TB, st *transloadit.Status) bridge.Outcome {
	t.Helper()
	req := bridge.WatchRequest{AssemblyID: st.AssemblyID, AssemblySSLURL: st.AssemblySSLURL, UpdateStreamURL: st.UpdateStreamURL}
	return h.watchReq(t, req)
}

func (h *harness) watchReq(t testing.TB, req bridge.WatchRequest) bridge.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reply, err := h.m.Watch(ctx, req)
	if err != nil || !reply.OK {
		t.Fatalf("Watch(%s) = %+v, %v", req.AssemblyID, reply, err)
	}
	outcome, err := h.m.Wait(ctx, req.AssemblyID)
	if err != nil {
		t.Fatalf("Wait(%s): %v", req.AssemblyID, err)
	}
	return outcome
}

// events returns one Assembly's published events in order, each checked
// against its schema and the CloudEvents rules.
func (h *harness) events(t testing.TB, id string) []*schemas.Event {
	t.Helper()
	var out []*schemas.Event
	for _, msg := range h.pub.Messages() {
		if msg.Key != id {
			continue
		}
		schematest.Check(t, msg.Data)
		ev, err := schemas.Decode(msg.Data)
		if err != nil {
			t.Fatalf("Decode(%s): %v", msg.ID, err)
		}
		if ev.ID != msg.ID || ev.Subject != msg.Subject {
			t.Errorf("message %s/%s carries event %s/%s", msg.ID, msg.Subject, ev.ID, ev.Subject)
		}
		out = append(out, ev)
	}
	return out
}

func (h *harness) final(t testing.TB, id string) *transloadit.Status {
	t.Helper()
	st, ok := h.srv.Status(id)
	if !ok {
		t.Fatalf("simulator does not know %s", id)
	}
	return st
}
