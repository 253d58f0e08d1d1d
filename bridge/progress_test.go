package bridge_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
)

// Progress readings that arrive in a burst are not lost to coalescing:
// the first goes out at once, the last when its window closes, even when
// nothing else arrives after it.
func TestLatestProgressIsPublished(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	srv, allow := newStreamingUpstream(t, id, func(w http.ResponseWriter, r *http.Request) {
		for _, v := range []int{10, 20, 30, 40} {
			fmt.Fprintf(w, "event: assembly_execution_progress\ndata: {\"progress_combined\":%d,\"progress_per_original_file\":[]}\n\n", v)
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done()
	})
	p, err := poller.New(poller.Config{APIBase: srv.URL, AllowList: allow})
	if err != nil {
		t.Fatal(err)
	}
	pub := publish.NewMemory(publish.MemoryConfig{})
	m, err := bridge.NewManager(bridge.ManagerConfig{
		Poller: p, Publisher: pub, AllowList: allow, Prefix: testPrefix, Instance: "test", Logger: zaptest.NewLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.Shutdown(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := m.Watch(ctx, bridge.WatchRequest{AssemblyID: id}); err != nil {
		t.Fatal(err)
	}
	var got []float64
	for !slices.Contains(got, 40) {
		if ctx.Err() != nil {
			t.Fatalf("progress published %v; want the last reading, 40, once its window closed", got)
		}
		time.Sleep(20 * time.Millisecond)
		got = got[:0]
		for _, msg := range pub.Messages() {
			ev, err := schemas.Decode(msg.Data)
			if err != nil {
				t.Fatal(err)
			}
			if p, ok := ev.Data.(*schemas.ExecutionProgress); ok {
				got = append(got, p.ProgressCombined)
			}
		}
	}
	if len(got) != 2 || got[0] != 10 {
		t.Errorf("progress published %v; want [10 40]: the first at once, the latest when its window closed", got)
	}
}
