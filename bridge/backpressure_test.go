package bridge_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/poller"
)

// heldPublisher holds every Publish of a step result until release is
// closed.
type heldPublisher struct {
	publish.Publisher
	release chan struct{}
}

func (p *heldPublisher) Publish(ctx context.Context, msgs ...publish.Message) error {
	if slices.ContainsFunc(msgs, isResult) {
		select {
		case <-p.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return p.Publisher.Publish(ctx, msgs...)
}

func isResult(m publish.Message) bool { return strings.Contains(m.ID, "/result/") }

// TestSlowPublisherSlowsReads: while publishing is held, a watch reads
// its update stream only up to the read-ahead bound, so the upstream's
// writes stall instead of the bridge's memory growing; once publishing
// resumes, every event read is published.
func TestSlowPublisherSlowsReads(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	const frames, pad = 2048, 8 << 10 // 16 MiB in all
	var written atomic.Int64
	streamDone := make(chan struct{})
	srv, allow := newStreamingUpstream(t, id, func(w http.ResponseWriter, r *http.Request) {
		for i := range frames {
			frame := fmt.Sprintf("event: assembly_result_finished\ndata: [\"s\",{\"id\":\"r%d\",\"name\":%q}]\n\n", i, strings.Repeat("x", pad))
			if _, err := io.WriteString(w, frame); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			written.Add(1)
		}
		close(streamDone)
		<-r.Context().Done()
	})
	p, err := poller.New(poller.Config{APIBase: srv.URL, AllowList: allow})
	if err != nil {
		t.Fatal(err)
	}
	mem := publish.NewMemory(publish.MemoryConfig{MaxMessages: 2 * frames})
	pub := &heldPublisher{Publisher: mem, release: make(chan struct{})}
	m, err := bridge.NewManager(bridge.ManagerConfig{
		Poller: p, Publisher: pub, AllowList: allow, Prefix: testPrefix, Instance: "test",
		ReadAhead: 64 << 10, ReadAheadTotal: 128 << 10, Logger: zaptest.NewLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := m.Shutdown(sctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	if reply, err := m.Watch(ctx, bridge.WatchRequest{AssemblyID: id}); err != nil || !reply.OK {
		t.Fatalf("Watch = %+v, %v", reply, err)
	}

	// Wait for the upstream's writes to stall: no frame written for a
	// while, with publishing held.
	last, still := written.Load(), 0
	for still < 10 {
		select {
		case <-ctx.Done():
			t.Fatal("the upstream's writes did not stall")
		case <-streamDone:
			t.Fatalf("the upstream wrote all %d frames (%d MiB) while publishing was held; want its writes to stall", frames, frames*pad>>20)
		case <-time.After(50 * time.Millisecond):
		}
		if n := written.Load(); n != last {
			last, still = n, 0
		} else {
			still++
		}
	}
	t.Logf("stalled after %d of %d frames", last, frames)

	close(pub.release)
	select {
	case <-streamDone:
	case <-ctx.Done():
		t.Fatal("the upstream's writes did not resume once publishing did")
	}
	for results(mem) < frames {
		select {
		case <-ctx.Done():
			t.Fatalf("%d step results published; want %d", results(mem), frames)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func results(mem *publish.Memory) int {
	n := 0
	for _, msg := range mem.Messages() {
		if isResult(msg) {
			n++
		}
	}
	return n
}

// newStreamingUpstream serves one executing Assembly: its status, which
// names its update stream, and the stream, whose frames serveFrames
// writes after the event-stream headers. It returns the server and an
// allow list admitting it.
func newStreamingUpstream(t *testing.T, id string, serveFrames http.HandlerFunc) (*httptest.Server, transloadit.AllowList) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/assemblies/"+id, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"ok":"ASSEMBLY_EXECUTING","assembly_id":%q,"update_stream_url":%q}`, id, srv.URL+"/ws20013?assembly="+id)
	})
	mux.HandleFunc("/ws20013", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		serveFrames(w, r)
	})
	return srv, transloadit.AllowList{HostSuffixes: []string{"127.0.0.1"}, AllowHTTP: true}
}
