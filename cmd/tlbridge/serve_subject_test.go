package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge/normalize/normalizetest"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/schemas"
)

// TestServeLongStepNames: results of a step with a 5,000-character name,
// and of one with 1.4 KB of bytes that escape to three each, are
// published on bounded subjects (an unbounded one would pass NATS' 4 KiB
// control line and the server would close the connection for good). The
// events keep the full names, and an Assembly watched afterwards is
// still published.
func TestServeLongStepNames(t *testing.T) {
	sim := newSim(t, transloadittest.WithTick(10*time.Millisecond))
	simEnv(t, sim)
	t.Setenv("TLBRIDGE_LOG_LEVEL", "info")
	ns := startNATS(t)
	t.Setenv("TLBRIDGE_NATS_URL", ns.ClientURL())
	sb := startServe(t)
	waitFor(t, func() bool { code, _ := sb.get(t, "/readyz"); return code == http.StatusOK })
	nc, it := consumeStream(t, ns.ClientURL())
	stop := time.AfterFunc(60*time.Second, it.Stop) // bounds every wait below
	defer stop.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	long, unsafe := strings.Repeat("s", 5000), strings.Repeat(". *>", 350)
	scripts := []transloadittest.Script{
		{Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: long, Robot: "/image/resize"},
			{Name: unsafe, Robot: "/image/resize"},
		}},
		{}, // watched after the first: the connection must still publish
	}
	for _, script := range scripts {
		st, err := sim.Create(ctx, script)
		if err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf(`{"assembly_id":%q,"assembly_ssl_url":%q,"update_stream_url":%q}`,
			st.AssemblyID, st.AssemblySSLURL, st.UpdateStreamURL)
		if r := requestWatchT(t, nc, body); !r.OK {
			t.Fatalf("intake reply = %+v", r)
		}
		got := collect(t, func() ([]byte, error) {
			msg, err := it.Next()
			if err != nil {
				return nil, err
			}
			return msg.Data(), nil
		}, map[string]schemas.Type{st.AssemblyID: schemas.TypeCompleted})
		final, _ := sim.Status(st.AssemblyID)
		normalizetest.CheckLifecycle(t, "transloadit", final, got[st.AssemblyID])
		for _, ev := range got[st.AssemblyID] {
			if len(ev.Subject) > schemas.MaxSubjectLen {
				t.Errorf("%s event on a %d-byte subject; want at most %d", ev.Type, len(ev.Subject), schemas.MaxSubjectLen)
			}
		}
		if script.Steps != nil {
			checkStepResults(t, got[st.AssemblyID], long, unsafe)
		}
	}
}

// checkStepResults asserts a step.result event for each named step,
// carrying the full name.
func checkStepResults(t *testing.T, evs []*schemas.Event, steps ...string) {
	t.Helper()
	seen := map[string]bool{}
	for _, ev := range evs {
		if r, ok := ev.Data.(*schemas.StepResult); ok {
			seen[r.Step] = true
		}
	}
	for _, s := range steps {
		if !seen[s] {
			t.Errorf("no step.result carries the %d-byte step name %.20q...", len(s), s)
		}
	}
}
