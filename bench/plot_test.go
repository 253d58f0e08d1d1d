package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWritePlot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latency.svg")
	if err := writePlot(path, "test", sampleResults()); err != nil {
		t.Fatalf("writePlot: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(b)
	for _, want := range []string{"<svg", "tlbridge", "relay", "delivery latency"} {
		if !strings.Contains(svg, want) {
			t.Errorf("plot lacks %q", want)
		}
	}
	if strings.Contains(svg, "broken") {
		t.Errorf("plot has a box for a target without latencies")
	}
}

func TestWritePlotEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latency.svg")
	if err := writePlot(path, "test", []result{{Target: "x"}}); err == nil {
		t.Errorf("writePlot without samples: no error")
	}
}
