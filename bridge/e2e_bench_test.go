package bridge_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/bridge/publish/publishtest"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
)

// BenchmarkEventsEndToEnd runs Assemblies that each produce results as
// fast as the simulator can, watched over their update streams and
// published to a file-backed JetStream stream, and reports events per
// second and CPU per event. The simulator and the NATS server run in this
// process, so the CPU figure includes theirs: compare it between builds,
// not with a bridge alone; so do the bytes and allocations per event.
func BenchmarkEventsEndToEnd(b *testing.B) {
	for _, bc := range []struct{ assemblies, results int }{{50, 200}} {
		b.Run(fmt.Sprintf("assemblies=%d/results=%d", bc.assemblies, bc.results), func(b *testing.B) {
			benchEndToEnd(b, bc.assemblies, bc.results)
		})
	}
}

func benchEndToEnd(b *testing.B, assemblies, results int) {
	srv := transloadittest.NewServer(transloadittest.WithMaxAssemblies(assemblies*(b.N+2)), transloadittest.WithTick(time.Microsecond))
	defer srv.Close()
	_, url := publishtest.StartNATS(b)
	nc, err := nats.Connect(url, nats.ReconnectBufSize(-1))
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	if err := publish.EnsureStream(b.Context(), js, publish.StreamConfig{Name: "BENCH", Subjects: []string{publish.StreamSubject(testPrefix)}}); err != nil {
		b.Fatal(err)
	}
	pub, err := publish.NewJetStream(nc, publish.JetStreamConfig{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := poller.New(poller.Config{APIBase: srv.URL, AllowList: srv.AllowList()})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	events := 0
	m, err := bridge.NewManager(bridge.ManagerConfig{
		Poller: p, Publisher: pub, AllowList: srv.AllowList(), Prefix: testPrefix, Instance: "bench",
		OnEvent: func(schemas.Event, []byte) { mu.Lock(); events++; mu.Unlock() },
	})
	if err != nil {
		b.Fatal(err)
	}
	defer shutdown(b, m)
	script := transloadittest.Script{Uploads: []transloadittest.Upload{},
		Steps: []transloadittest.Step{{Name: "imported", Robot: "/http/import", Results: results}}}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0, start := cpuTime(), time.Now()
	for b.Loop() {
		runAssemblies(b, srv, m, script, assemblies)
	}
	cpu, wall := cpuTime()-cpu0, time.Since(start)
	runtime.ReadMemStats(&ms1)
	mu.Lock()
	n := events
	mu.Unlock()
	b.ReportMetric(float64(n)/wall.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-us/event")
	// The simulator's and the NATS server's allocations are in it too.
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(n), "heap-B/event")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(n), "allocs/event")
	b.ReportMetric(float64(n)/float64(b.N), "events/op")
}

// runAssemblies creates n Assemblies, watches them all and waits for them
// to end.
func runAssemblies(b *testing.B, srv *transloadittest.Server, m *bridge.Manager, sc transloadittest.Script, n int) {
	ctx, cancel := context.WithTimeout(b.Context(), 2*time.Minute)
	defer cancel()
	sts := make([]*transloadit.Status, n)
	for i := range sts {
		s := sc
		s.StartOnStream = true
		st, err := srv.Create(ctx, s)
		if err != nil {
			b.Fatal(err)
		}
		sts[i] = st
		req := bridge.WatchRequest{AssemblyID: st.AssemblyID, AssemblySSLURL: st.AssemblySSLURL, UpdateStreamURL: st.UpdateStreamURL}
		if reply, err := m.Watch(ctx, req); err != nil || !reply.OK {
			b.Fatalf("Watch = %+v, %v", reply, err)
		}
	}
	for _, st := range sts {
		if o, err := m.Wait(ctx, st.AssemblyID); err != nil || o != bridge.OutcomeCompleted {
			b.Fatalf("Wait(%s) = %v, %v", st.AssemblyID, o, err)
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
