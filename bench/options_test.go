package main

import (
	"errors"
	"io"
	"slices"
	"testing"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string // target names
	}{
		{"defaults", nil, []string{"tlbridge", "relay", "poll-1s"}},
		{"baseline binary", []string{"--bin", "/a", "--baseline-bin", "/b"}, []string{"tlbridge", "baseline-bin", "relay", "poll-1s"}},
		{"no references", []string{"--refs", ""}, []string{"tlbridge"}},
		{"poll mode has no relay", []string{"--mode", "poll"}, []string{"tlbridge", "poll-1s"}},
		{"relay only", []string{"--refs", "relay"}, []string{"tlbridge", "relay"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.in, io.Discard)
			if err != nil {
				t.Fatalf("parseOptions(%q) error: %v", tt.in, err)
			}
			if got := names(targetResults(o.targets())); !slices.Equal(got, tt.want) {
				t.Errorf("parseOptions(%q).targets() = %v; want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestMeasuredOrder: --baseline-first measures the baseline binary first,
// --refs-first the references before the bridges; the columns stay as
// listed.
func TestMeasuredOrder(t *testing.T) {
	tests := []struct {
		in   []string
		want []int
	}{
		{[]string{"--baseline-bin", "/b"}, []int{0, 1, 2, 3}},
		{[]string{"--baseline-bin", "/b", "--baseline-first"}, []int{1, 0, 2, 3}},
		{[]string{"--baseline-first"}, []int{0, 1, 2}}, // no baseline: nothing to swap
		{[]string{"--refs-first"}, []int{1, 2, 0}},
		{[]string{"--baseline-bin", "/b", "--baseline-first", "--refs-first"}, []int{2, 3, 1, 0}},
		{[]string{"--refs-first", "--refs", ""}, []int{0}},
	}
	for _, tt := range tests {
		o, err := parseOptions(tt.in, io.Discard)
		if err != nil {
			t.Fatalf("parseOptions(%q) error: %v", tt.in, err)
		}
		if got := o.measured(o.targets()); !slices.Equal(got, tt.want) {
			t.Errorf("parseOptions(%q): measured order %v; want %v", tt.in, got, tt.want)
		}
	}
}

// TestWarmup: the warm-up phase runs the target measured first, and none
// with --warmup=false.
func TestWarmup(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, "tlbridge"},
		{[]string{"--baseline-bin", "/b"}, "tlbridge"},
		{[]string{"--baseline-bin", "/b", "--baseline-first"}, "baseline-bin"},
		{[]string{"--refs-first", "--refs", "relay"}, "relay"},
		{[]string{"--warmup=false"}, ""},
	}
	for _, tt := range tests {
		o, err := parseOptions(tt.in, io.Discard)
		if err != nil {
			t.Fatalf("parseOptions(%q) error: %v", tt.in, err)
		}
		if tg, ok := o.warmup(o.targets()); ok != (tt.want != "") || tg.Name != tt.want {
			t.Errorf("parseOptions(%q).warmup = %q, %v; want %q", tt.in, tg.Name, ok, tt.want)
		}
	}
}

func targetResults(ts []target) []result {
	rs := make([]result, len(ts))
	for i, t := range ts {
		rs[i].Target = t.Name
	}
	return rs
}

func TestParseOptionsRefuses(t *testing.T) {
	for _, in := range [][]string{
		{"--watches", "0"},
		{"--results", "-1"},
		{"--watches", "100000", "--results", "1000"},
		{"--rate", "-1"},
		{"--mode", "websocket"},
		{"--duration", "0s"},
		{"--start-delay", "-1s"},
		{"--refs", "relay,sdk"},
		{"--watch-concurrency", "0"},
		{"--bridge-env", "GOGC"},
		{"--bridge-env", "=1"},
		{"extra"},
		{"--nope"},
	} {
		if _, err := parseOptions(in, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("parseOptions(%q) error = %v; want errUsage", in, err)
		}
	}
}

func TestBridgeEnv(t *testing.T) {
	o, err := parseOptions([]string{"--bridge-env", "GOMEMLIMIT=450MiB", "--bridge-env", "GODEBUG=a=0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"GOMEMLIMIT=450MiB", "GODEBUG=a=0"}; !slices.Equal(o.BridgeEnv, want) {
		t.Errorf("BridgeEnv = %q; want %q", o.BridgeEnv, want)
	}
}

func TestStreamed(t *testing.T) {
	for _, tt := range []struct {
		kind, mode string
		want       [2]bool // Assemblies 0 and 1
	}{
		{kindBridge, modeSSE, [2]bool{true, true}},
		{kindBridge, modePoll, [2]bool{false, false}},
		{kindBridge, modeMixed, [2]bool{true, false}},
		{kindRelay, modeMixed, [2]bool{true, true}},
		{kindPoll1s, modeSSE, [2]bool{false, false}},
	} {
		f := target{Kind: tt.kind}.streamed(tt.mode)
		if got := [2]bool{f(0), f(1)}; got != tt.want {
			t.Errorf("streamed(%s, %s) = %v; want %v", tt.kind, tt.mode, got, tt.want)
		}
	}
}
