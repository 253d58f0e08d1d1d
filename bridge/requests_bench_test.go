package bridge_test

import (
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

// BenchmarkStatusRequests counts the status requests one watch costs
// upstream, per Assembly of 2 uploads and 3 steps, counted at the
// simulator. One op is one Assembly watched from its creation to its
// terminal event; req/assembly is the figure that matters, ns/op mostly
// the Assembly's own life.
//
//   - sse: the stream stays up; the Assembly lives about 20 ticks of
//     60 ms, and the stream is never silent for the safety-net poll's
//     period (10 × the 100 ms poll interval), which any news restarts.
//   - sse-silent: the same, but the Assembly is held for 1.5 s before it
//     starts, so the stream is silent for one safety-net period and the
//     safety-net poll fires once.
//   - poll: no stream, a 100 ms poll interval; the poller's pace (at most
//     2 requests per second per Assembly) sets the count.
func BenchmarkStatusRequests(b *testing.B) {
	for _, bc := range []struct {
		name  string
		mode  string
		pause time.Duration
	}{
		{"sse", modeSSE, 0},
		{"sse-silent", modeSSE, 1500 * time.Millisecond},
		{"poll", modePoll, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := newHarness(b, bc.mode, func(c *bridge.ManagerConfig) { c.PollInterval = 100 * time.Millisecond })
			script := transloadittest.Script{
				Tick:    60 * time.Millisecond,
				Uploads: []transloadittest.Upload{{Name: "a.jpg", Size: 4000}, {Name: "b.png", Size: 9000}},
				Steps: []transloadittest.Step{
					{Name: ":original", Robot: "/upload/handle"},
					{Name: "thumbs", Robot: "/image/resize", Results: 2},
					{Name: "exported", Robot: "/s3/store", Use: "thumbs"},
				},
			}
			requests := 0
			for b.Loop() {
				st := h.create(b, script)
				if bc.pause > 0 {
					hold(b, h.srv, st.AssemblyID, bc.pause)
				}
				if o := h.watch(b, st); o != bridge.OutcomeCompleted {
					b.Fatalf("outcome = %q; want completed", o)
				}
				requests += len(h.srv.StatusRequests(st.AssemblyID))
			}
			b.ReportMetric(float64(requests)/float64(b.N), "req/assembly")
		})
	}
}

// hold pauses the Assembly id for d from now.
func hold(b *testing.B, srv *transloadittest.Server, id string, d time.Duration) {
	if err := srv.Pause(id); err != nil {
		b.Fatal(err)
	}
	time.AfterFunc(d, func() { _ = srv.Resume(id) })
}
