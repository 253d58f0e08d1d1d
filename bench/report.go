package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// figure is one row of the table. Adding a measurement is adding a field
// to result and a figure here; the table, the JSON and the ratios follow.
type figure struct {
	key    string // JSON name
	label  string // table row
	format func(float64) string
	value  func(r *result) (float64, bool)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

var figures = []figure{
	{"watches_refused", "watches refused", count, func(r *result) (float64, bool) { return float64(r.Refused), true }},
	{"events_expected", "events expected (results + completed)", count, func(r *result) (float64, bool) { return float64(r.Expected), true }},
	{"events_missing", "events missing at the end", count, func(r *result) (float64, bool) { return float64(r.Missing), true }},
	{"duplicates", "duplicates received", count, func(r *result) (float64, bool) { return float64(r.Dups), true }},
	{"other_events", "other events (executing, uploads, …)", count, func(r *result) (float64, bool) { return float64(r.Other), true }},
	{"latency_p50_ms", "latency p50 (ms)", decimal, latency(0.50)},
	{"latency_p90_ms", "latency p90 (ms)", decimal, latency(0.90)},
	{"latency_p99_ms", "latency p99 (ms)", decimal, latency(0.99)},
	{"latency_max_ms", "latency max (ms)", decimal, latency(1)},
	{"completed_latency_p50_ms", "completed: latency p50 (ms)", decimal, termLatency(0.50)},
	{"completed_latency_p99_ms", "completed: latency p99 (ms)", decimal, termLatency(0.99)},
	{"events_per_s", "events/s", count, eventsPerSecond},
	{"cpu_s", "CPU (s)", decimal, func(r *result) (float64, bool) { return r.CPU.Seconds(), true }},
	{"cpu_us_per_event", "CPU per event (µs)", decimal, cpuPerEvent},
	{"read_syscalls_per_event", "read system calls per event", decimal, syscallsPerEvent(func(r *result) int64 { return r.ReadCalls })},
	{"write_syscalls_per_event", "write system calls per event", decimal, syscallsPerEvent(func(r *result) int64 { return r.WriteCalls })},
	{"bench_cpu_s", "bench CPU (s): load source, NATS, subscriber", decimal, func(r *result) (float64, bool) { return r.BenchCPU.Seconds(), true }},
	{"load_average", "machine load average (1 min) at the end", decimal, func(r *result) (float64, bool) { return r.LoadAvg, r.LoadAvg > 0 }},
	{"peak_rss_mib", "peak RSS (MiB)", decimal, func(r *result) (float64, bool) { return float64(r.PeakRSS) / (1 << 20), r.PeakRSS > 0 }},
	{"admission_s", "watches accepted within (s)", decimal, func(r *result) (float64, bool) { return r.Admission.Seconds(), r.Admission > 0 }},
	{"peak_watches_open", "watches open at once (peak)", count, func(r *result) (float64, bool) { return r.PeakWatches, r.PeakWatches > 0 }},
	{"goroutines_per_watch", "goroutines per watch", decimal, perWatch(func(r *result) float64 { return r.PeakGoroutines - r.IdleGoroutines })},
	{"kib_per_watch", "KiB per watch (peak RSS − idle RSS)", decimal, perWatch(func(r *result) float64 { return float64(r.PeakRSS-r.IdleRSS) / 1024 })},
	{"stack_kib_per_watch", "of which goroutine stacks (peak − idle)", decimal, perWatch(func(r *result) float64 { return (r.PeakStack - r.IdleStack) / 1024 })},
	{"status_requests_per_assembly", "status requests per Assembly", decimal, perWatch(func(r *result) float64 { return float64(r.StatusRequests) })},
	{"stream_connections_per_assembly", "stream connections per Assembly", decimal, perWatch(func(r *result) float64 { return float64(r.StreamConnections) })},
}

// ratioKeys are the headline figures, compared with every other column.
var ratioKeys = []string{"events_per_s", "cpu_us_per_event", "latency_p99_ms", "peak_rss_mib"}

func latency(q float64) func(r *result) (float64, bool) {
	return func(r *result) (float64, bool) { return ms(r.Latency.quantile(q)), len(r.Latency) > 0 }
}

func termLatency(q float64) func(r *result) (float64, bool) {
	return func(r *result) (float64, bool) { return ms(r.TermLatency.quantile(q)), len(r.TermLatency) > 0 }
}

func eventsPerSecond(r *result) (float64, bool) {
	if r.Elapsed <= 0 {
		return 0, false
	}
	return float64(r.Delivered) / r.Elapsed.Seconds(), true
}

func cpuPerEvent(r *result) (float64, bool) {
	if r.Delivered == 0 {
		return 0, false
	}
	return float64(r.CPU.Microseconds()) / float64(r.Delivered), true
}

func syscallsPerEvent(calls func(r *result) int64) func(r *result) (float64, bool) {
	return func(r *result) (float64, bool) {
		n := calls(r)
		return float64(n) / float64(r.Delivered), n >= 0 && r.Delivered > 0
	}
}

func perWatch(f func(r *result) float64) func(r *result) (float64, bool) {
	return func(r *result) (float64, bool) { return f(r) / float64(r.Watches), r.Watches > 0 }
}

func count(v float64) string { return groupThousands(int64(math.Round(v))) }

func decimal(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1000:
		return groupThousands(int64(math.Round(v)))
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// groupThousands writes n with a comma every three digits.
func groupThousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func lookup(key string) figure {
	for _, f := range figures {
		if f.key == key {
			return f
		}
	}
	panic("no figure " + key)
}

// writeTable prints one Markdown table: a column per target, a row per
// figure, then the first column's headline figures divided by each
// column's ("1.00" on itself).
func writeTable(w io.Writer, rs []result) {
	rows := [][]string{append([]string{"measure"}, names(rs)...)}
	rows = append(rows, row("upstream protocol (as the load source saw it)", rs, func(r *result) string {
		if r.Upstream == "" {
			return "–"
		}
		return r.Upstream
	}))
	for _, f := range figures {
		rows = append(rows, row(f.label, rs, func(r *result) string {
			if v, ok := f.value(r); ok {
				return f.format(v)
			}
			return "–"
		}))
	}
	for _, k := range ratioKeys {
		f := lookup(k)
		label := fmt.Sprintf("%s: %s ÷ this", f.label, rs[0].Target)
		rows = append(rows, row(label, rs, func(r *result) string {
			a, ok1 := f.value(&rs[0])
			b, ok2 := f.value(r)
			if !ok1 || !ok2 || b == 0 {
				return "–"
			}
			return fmt.Sprintf("%.2f×", a/b)
		}))
	}
	writeMarkdown(w, rows)
}

func names(rs []result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Target
	}
	return out
}

func row(label string, rs []result, cell func(r *result) string) []string {
	out := []string{label}
	for i := range rs {
		out = append(out, cell(&rs[i]))
	}
	return out
}

// writeMarkdown aligns cells into a Markdown table, numbers to the right.
func writeMarkdown(w io.Writer, rows [][]string) {
	width := make([]int, len(rows[0]))
	for i := range width {
		width[i] = 3 // the shortest delimiter cell, "--:"
	}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for n, r := range rows {
		fmt.Fprint(w, "|")
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if i == 0 {
				fmt.Fprintf(w, " %s%s |", c, pad)
			} else {
				fmt.Fprintf(w, " %s%s |", pad, c)
			}
		}
		fmt.Fprintln(w)
		if n == 0 {
			fmt.Fprint(w, "|")
			for i := range r {
				dash := strings.Repeat("-", width[i])
				if i > 0 {
					dash = dash[:len(dash)-1] + ":"
				}
				fmt.Fprintf(w, " %s |", dash)
			}
			fmt.Fprintln(w)
		}
	}
}

// jsonResult is a result with every figure computed.
type jsonResult struct {
	result
	Figures map[string]float64 `json:"figures"`
}

func writeJSON(w io.Writer, rs []result) error {
	out := make([]jsonResult, len(rs))
	for i := range rs {
		out[i] = jsonResult{result: rs[i], Figures: map[string]float64{}}
		for _, f := range figures {
			if v, ok := f.value(&rs[i]); ok {
				out[i].Figures[f.key] = v
			}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
