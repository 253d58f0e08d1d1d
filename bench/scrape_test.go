package main

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestParseGauge(t *testing.T) {
	page := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines_extra 3
go_goroutines 1042
go_threads 9
tlbridge_watches_active{replica="a"} 1000
`
	if got, err := parseGauge(page, "go_goroutines"); err != nil || got != 1042 {
		t.Errorf("parseGauge(go_goroutines) = %v, %v; want 1042", got, err)
	}
	if got, err := parseGauge(page, "go_threads"); err != nil || got != 9 {
		t.Errorf("parseGauge(go_threads) = %v, %v; want 9", got, err)
	}
	for _, name := range []string{"go_gc_duration_seconds", "tlbridge_watches_active"} {
		if _, err := parseGauge(page, name); !errors.Is(err, errMetricsFormat) {
			t.Errorf("parseGauge(%s) error = %v; want errMetricsFormat", name, err)
		}
	}
	if _, err := parseGauge("go_goroutines NaNx\n", "go_goroutines"); !errors.Is(err, errMetricsFormat) {
		t.Errorf("parseGauge(bad value) error = %v; want errMetricsFormat", err)
	}
}

// TestScrapeGauges: one page gives every gauge asked for that it has; a
// gauge it lacks is absent rather than zero.
func TestScrapeGauges(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "go_goroutines 30\ngo_memstats_stack_inuse_bytes 1.048576e+06\n")
	}))
	defer srv.Close()
	got, err := scrapeGauges(t.Context(), srv.Client(), srv.URL, "go_memstats_stack_inuse_bytes", "go_goroutines", "tlbridge_watches_active")
	want := map[string]float64{"go_memstats_stack_inuse_bytes": 1 << 20, "go_goroutines": 30}
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("scrapeGauges = %v, %v; want %v", got, err, want)
	}
}
