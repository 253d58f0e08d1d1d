package bridge_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/poller"
)

// BenchmarkIdleWatches opens n watches of Assemblies that stay uploading
// with their update streams open, and reports what each costs the bridge:
// goroutines and heap per watch. The simulator runs in this process, so
// its share is measured first, with n bare connections to the same
// streams, and taken off. Over HTTP/1.1 each stream has a connection of
// its own; over HTTP/2 (without TLS here, over TLS in production) the
// streams share a few connections. Run it with -benchtime 1x; it
// reports, it does not time.
func BenchmarkIdleWatches(b *testing.B) {
	for _, h2 := range []bool{false, true} {
		for _, n := range []int{200, 1000} {
			b.Run(fmt.Sprintf("%s/watches=%d", protoName(h2), n), func(b *testing.B) {
				for b.Loop() {
					benchIdleWatches(b, n, h2)
				}
			})
		}
	}
}

func protoName(h2 bool) string {
	if h2 {
		return "h2"
	}
	return "http1"
}

func benchIdleWatches(b *testing.B, n int, h2 bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sim := bareStreamCost(ctx, b, n, h2)

	srv, sts := idleAssemblies(ctx, b, n)
	defer srv.Close()
	base := measure()
	m := newIdleManager(b, srv, h2)
	defer shutdown(b, m)
	for _, st := range sts {
		req := bridge.WatchRequest{AssemblyID: st.AssemblyID, AssemblySSLURL: st.AssemblySSLURL, UpdateStreamURL: st.UpdateStreamURL}
		if reply, err := m.Watch(ctx, req); err != nil || !reply.OK {
			b.Fatalf("Watch = %+v, %v", reply, err)
		}
	}
	waitStreams(ctx, b, srv, sts)
	time.Sleep(2 * time.Second) // the status fetches that follow each connect are done
	watched := measure()
	b.ReportMetric(float64(watched.goroutines-base.goroutines-sim.goroutines)/float64(n), "goroutines/watch")
	b.ReportMetric(float64(watched.heap-base.heap-sim.heap)/float64(n), "heapB/watch")
	b.ReportMetric(float64(watched.stack-base.stack-sim.stack)/float64(n), "stackB/watch")
}

// bareStreamCost measures what n open update streams cost the simulator
// (and a bare socket each), to take it off the bridge's figures.
func bareStreamCost(ctx context.Context, b *testing.B, n int, h2 bool) usage {
	srv, sts := idleAssemblies(ctx, b, n)
	defer srv.Close()
	base := measure()
	open := openBareStreams
	if h2 {
		open = openBareH2Streams
	}
	conns := open(b, sts)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	waitStreams(ctx, b, srv, sts)
	bare := measure()
	return usage{goroutines: bare.goroutines - base.goroutines, heap: bare.heap - base.heap, stack: bare.stack - base.stack}
}

// idleAssemblies starts a simulator with n Assemblies that stay uploading.
func idleAssemblies(ctx context.Context, b *testing.B, n int) (*transloadittest.Server, []*transloadit.Status) {
	srv := transloadittest.NewServer(transloadittest.WithMaxAssemblies(n + 1))
	sts := make([]*transloadit.Status, n)
	for i := range sts {
		st, err := srv.Create(ctx, transloadittest.Script{Tick: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		sts[i] = st
	}
	return srv, sts
}

type usage struct {
	goroutines  int
	heap, stack int64
}

func measure() usage {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return usage{goroutines: runtime.NumGoroutine(), heap: int64(ms.HeapAlloc), stack: int64(ms.StackInuse)}
}

// openBareStreams opens each Assembly's update stream with nothing but a
// socket, so that only the simulator's side of the connection costs.
func openBareStreams(b *testing.B, sts []*transloadit.Status) []net.Conn {
	conns := make([]net.Conn, 0, len(sts))
	for _, st := range sts {
		u, err := url.Parse(st.UpdateStreamURL)
		if err != nil {
			b.Fatal(err)
		}
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", u.RequestURI(), u.Host)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("bare stream: %v %v", resp, err)
		}
		conns = append(conns, c)
	}
	return conns
}

func waitStreams(ctx context.Context, b *testing.B, srv *transloadittest.Server, sts []*transloadit.Status) {
	for _, st := range sts {
		if err := srv.AwaitStreamConnected(ctx, st.AssemblyID); err != nil {
			b.Fatalf("stream of %s: %v", st.AssemblyID, err)
		}
	}
}

func newIdleManager(b *testing.B, srv *transloadittest.Server, h2 bool) *bridge.Manager {
	var hc *http.Client
	if h2 {
		tr := &http.Transport{Protocols: new(http.Protocols)}
		tr.Protocols.SetUnencryptedHTTP2(true)
		hc = &http.Client{Transport: tr}
	}
	p, err := poller.New(poller.Config{APIBase: srv.URL, AllowList: srv.AllowList(), HTTPClient: hc})
	if err != nil {
		b.Fatal(err)
	}
	m, err := bridge.NewManager(bridge.ManagerConfig{
		Poller: p, Publisher: publish.NewMemory(publish.MemoryConfig{}), AllowList: srv.AllowList(),
		Prefix: testPrefix, Instance: "bench", HTTPClient: hc,
	})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func shutdown(b *testing.B, m *bridge.Manager) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Shutdown(ctx); err != nil {
		b.Error(err)
	}
}
