package main

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/tlbridge/tlbridge/schemas/schematest"
)

// TestDemo runs the README's demo command end to end: exit 0, and a
// summary naming every scripted Assembly with the terminal event its
// script leads to.
func TestDemo(t *testing.T) {
	var mu sync.Mutex
	var seen [][]byte
	demoSeen = func(data []byte) {
		mu.Lock()
		seen = append(seen, data)
		mu.Unlock()
	}
	t.Cleanup(func() { demoSeen = nil })
	code, stdout, stderr := runCmd(t, context.Background(), "demo")
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 {
		t.Error("the demo's subscriber saw no events")
	}
	for _, data := range seen {
		schematest.Check(t, data)
	}
	if code != exitOK {
		t.Fatalf("run(demo) = %d; want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	_, summary, ok := strings.Cut(stdout, "\nSummary\n")
	if !ok {
		t.Fatalf("no summary in the demo output:\n%s", stdout)
	}
	for _, da := range demoAssemblies() {
		row := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(da.name) + `\s+([0-9a-f]{32})\s+([1-9][0-9]*)\s+(\S+)$`)
		m := row.FindStringSubmatch(summary)
		if m == nil {
			t.Errorf("summary has no row for %s:\n%s", da.name, summary)
			continue
		}
		if m[3] != string(da.want) {
			t.Errorf("summary: %s ended %s; want %s", da.name, m[3], da.want)
		}
		// Each event was printed as it arrived, the terminal one included.
		if !regexp.MustCompile(`(?m)^\S+  ` + regexp.QuoteMeta(da.name) + `\s+` + m[1][:6] + `…  ` + regexp.QuoteMeta(string(da.want)) + `\b`).MatchString(stdout) {
			t.Errorf("no %s line for %s in the event log:\n%s", da.want, da.name, stdout)
		}
	}
	if !strings.Contains(stdout, "All 5 Assemblies reached their terminal event.") {
		t.Errorf("demo output lacks the final verdict:\n%s", stdout)
	}
}

// TestDemoTimeout: a demo that cannot finish in time says so and exits 1.
func TestDemoTimeout(t *testing.T) {
	code, stdout, stderr := runCmd(t, context.Background(), "demo", "-timeout", "1s", "-tick", "1s")
	if code != exitFailure {
		t.Errorf("run(demo -timeout 1s) = %d; want %d", code, exitFailure)
	}
	if !strings.Contains(stderr, "timed out after 1s") {
		t.Errorf("stderr does not explain the timeout:\n%s", stderr)
	}
	if !strings.Contains(stdout, "(none yet)") {
		t.Errorf("summary does not show unfinished Assemblies:\n%s", stdout)
	}
}
