package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestGroupThousands(t *testing.T) {
	for _, tt := range []struct {
		in   int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"}, {-20709, "-20,709"}} {
		if got := groupThousands(tt.in); got != tt.want {
			t.Errorf("groupThousands(%d) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecimal(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		want string
	}{{1.234, "1.23"}, {12.34, "12.3"}, {123.4, "123"}, {12345.6, "12,346"}} {
		if got := decimal(tt.in); got != tt.want {
			t.Errorf("decimal(%v) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	writeMarkdown(&b, [][]string{{"measure", "a", "bb"}, {"µs", "1", "22"}, {"longer row", "333", "–"}})
	want := `| measure    |   a |  bb |
| ---------- | --: | --: |
| µs         |   1 |  22 |
| longer row | 333 |   – |
`
	if b.String() != want {
		t.Errorf("writeMarkdown =\n%s\nwant\n%s", b.String(), want)
	}
}

func sampleResults() []result {
	lat := func(ms ...int) distribution {
		var d []time.Duration
		for _, m := range ms {
			d = append(d, time.Duration(m)*time.Millisecond)
		}
		return newDistribution(d)
	}
	return []result{
		{Target: "tlbridge", Watches: 2, Results: 1, Expected: 4, Delivered: 4, Elapsed: 2 * time.Second,
			CPU: 400 * time.Microsecond, PeakRSS: 30 << 20, IdleRSS: 20 << 20, IdleGoroutines: 10, PeakGoroutines: 20,
			StatusRequests: 6, StreamConnections: 2, Upstream: "HTTP/2", Latency: lat(1, 2, 3, 4), Admission: 1500 * time.Millisecond},
		{Target: "relay", Watches: 2, Results: 1, Expected: 4, Delivered: 4, Elapsed: time.Second,
			CPU: 100 * time.Microsecond, PeakRSS: 15 << 20, StreamConnections: 2, Latency: lat(1, 1, 1, 2)},
		{Target: "broken", Watches: 2, Results: 1, Expected: 4, Missing: 4},
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	writeTable(&b, sampleResults())
	out := b.String()
	for _, want := range []string{
		"| measure ",
		"| tlbridge | relay | broken |",
		"|   HTTP/2 |     – |      – |", // upstream protocol
		"| latency p50 (ms) ",
		"| events/s ",
		"|        2 |     4 |      – |", // events/s
		"|      100 |  25.0 |      – |", // CPU µs per event
		"|     5.00 |  0.00 |   0.00 |", // goroutines per watch
		"| watches accepted within (s) ",
		"|     1.50 |     – |      – |", // admission
		"|    1.00× | 0.50× |      – |", // events/s ratio
		"|    1.00× | 4.00× |      – |", // CPU per event ratio
		"events/s: tlbridge ÷ this",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("writeTable output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != len(figures)+len(ratioKeys)+3 {
		t.Errorf("writeTable wrote %d lines; want %d", n, len(figures)+len(ratioKeys)+3)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := writeJSON(&b, sampleResults()); err != nil {
		t.Fatalf("writeJSON: %v", err)
	}
	var got []struct {
		Target  string             `json:"target"`
		Figures map[string]float64 `json:"figures"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("writeJSON output does not decode: %v\n%s", err, b.String())
	}
	if len(got) != 3 || got[0].Target != "tlbridge" || got[0].Figures["latency_p99_ms"] != 4 || got[1].Figures["events_per_s"] != 4 {
		t.Errorf("writeJSON = %+v; want tlbridge p99 4 ms, relay 4 events/s", got)
	}
	if got[0].Figures["admission_s"] != 1.5 {
		t.Errorf("writeJSON admission_s = %v; want 1.5", got[0].Figures["admission_s"])
	}
	if _, ok := got[2].Figures["latency_p50_ms"]; ok {
		t.Errorf("writeJSON gave a latency for a target without samples: %v", got[2].Figures)
	}
}

func TestUpstreamProtocol(t *testing.T) {
	for _, tt := range []struct {
		tls          bool
		http1, http2 int64
		want         string
	}{
		{true, 0, 12, "HTTP/2 over TLS"},
		{true, 12, 0, "HTTP/1.1 over TLS"},
		{false, 12, 0, "HTTP/1.1"},
		{true, 3, 9, "HTTP/2 (9 requests) and HTTP/1.1 (3) over TLS"},
		{false, 0, 0, "none"},
	} {
		if got := upstreamProtocol(tt.tls, tt.http1, tt.http2); got != tt.want {
			t.Errorf("upstreamProtocol(%v, %d, %d) = %q; want %q", tt.tls, tt.http1, tt.http2, got, tt.want)
		}
	}
}
