package bridge_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/poller"
)

func TestMetricsFollowAWatch(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics := bridge.NewMetrics(reg)
	h := newHarness(t, modeSSE, func(c *bridge.ManagerConfig) { c.Metrics = metrics })
	st := h.create(t, transloadittest.Script{})
	if got := h.watch(t, st); got != bridge.OutcomeCompleted {
		t.Fatalf("outcome = %q", got)
	}
	evs := h.events(t, st.AssemblyID)

	want := map[string]float64{}
	for _, ev := range evs {
		want[string(ev.Type)]++
	}
	for typ, n := range want {
		got := counter(t, reg, "tlbridge_events_published_total", typ)
		if got != n {
			t.Errorf("events_published_total{type=%q} = %v; want %v", typ, got, n)
		}
	}
	for name, want := range map[string]float64{
		"tlbridge_watches_active": 0, "tlbridge_sse_connected": 0, "tlbridge_publish_pending": 0,
	} {
		if got := gauge(t, reg, name); got != want {
			t.Errorf("%s = %v after the watch; want %v", name, got, want)
		}
	}
	if got := histogramCount(t, reg, "tlbridge_event_latency_seconds"); got != uint64(len(evs)) {
		t.Errorf("latency observations = %d; want one per event (%d)", got, len(evs))
	}
	if got := gauge(t, reg, "tlbridge_lag_seconds"); got < 0 {
		t.Errorf("tlbridge_lag_seconds = %v after the watch; want the last batch's lag, >= 0", got)
	}
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	for _, m := range family(t, reg, name).Metric {
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no gauge %s", name)
	return 0
}

// awaitGauge waits up to 10 s until the gauge name satisfies ok; want
// says what ok expects, for the failure.
func awaitGauge(t *testing.T, reg *prometheus.Registry, name, want string, ok func(float64) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(gauge(t, reg, name)); {
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v; want %s", name, gauge(t, reg, name), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func family(t *testing.T, reg *prometheus.Registry, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	return &dto.MetricFamily{}
}

// counter returns the value of the series of name whose one label has the
// given value.
func counter(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	for _, m := range family(t, reg, name).Metric {
		if len(m.Label) == 1 && m.Label[0].GetValue() == label {
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	for _, m := range family(t, reg, name).Metric {
		return m.GetHistogram().GetSampleCount()
	}
	return 0
}

// TestMetricsCountStatusFetchesWaiting: fetches past the in-flight bound
// show on tlbridge_status_fetches_waiting while they wait, and leave it
// at zero when they are done.
func TestMetricsCountStatusFetchesWaiting(t *testing.T) {
	const fetches = 3
	reg := prometheus.NewRegistry()
	metrics := bridge.NewMetrics(reg)
	srv := transloadittest.NewServer()
	defer srv.Close()
	// Opened on every way out, before Close waits for the held handlers.
	gate := make(chan struct{})
	open := sync.OnceFunc(func() { close(gate) })
	defer open()
	srv.SetOnStatus(func(string, *http.Request) (int, []byte, bool) {
		<-gate
		return 0, nil, false
	})
	p, err := poller.New(poller.Config{
		APIBase: srv.URL, AllowList: srv.AllowList(), MaxInFlight: 1,
		OnInFlightWait: metrics.StatusFetchWaiting,
	})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, fetches)
	for range fetches {
		st, err := srv.Create(t.Context(), transloadittest.Script{})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			_, err := p.Fetch(t.Context(), poller.Target{AssemblyID: st.AssemblyID})
			errs <- err
		}()
	}
	awaitGauge(t, reg, "tlbridge_status_fetches_waiting", "2, while one fetch holds the only turn",
		func(v float64) bool { return v == fetches-1 })
	open()
	for range fetches {
		if err := <-errs; err != nil {
			t.Errorf("Fetch() error = %v", err)
		}
	}
	if got := gauge(t, reg, "tlbridge_status_fetches_waiting"); got != 0 {
		t.Errorf("tlbridge_status_fetches_waiting = %v after every fetch ended; want 0", got)
	}
}
