package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Transport modes of --mode.
const (
	modeSSE   = "sse"
	modePoll  = "poll"
	modeMixed = "mixed"
)

// maxSamples bounds watches × results: the timestamps and latencies of
// one phase are kept in memory.
const maxSamples = 20_000_000

// options are the command-line flags.
type options struct {
	Watches       int
	Results       int
	Rate          float64
	Mode          string
	StartDelay    time.Duration
	Duration      time.Duration
	JSON          bool
	Plot          string
	Bin           string
	BaselineBin   string
	BaselineFirst bool // measure BaselineBin before Bin
	RefsFirst     bool // measure the references before the bridges
	Refs          []string
	BridgeEnv     []string // extra KEY=VALUE settings of the bridge processes
	Concurrency   int
	TLS           bool
	Warmup        bool // run the first target once, unmeasured, before the measured phases
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Watches, "watches", 200, "Assemblies watched at once")
	fs.IntVar(&o.Results, "results", 50, "results per Assembly (each one event), then the Assembly completes")
	fs.Float64Var(&o.Rate, "rate", 0, "results per second per Assembly; 0 pushes them as fast as they are read")
	fs.StringVar(&o.Mode, "mode", modeSSE, "how the bridge follows Assemblies: sse, poll (TLBRIDGE_DISABLE_STREAM) or mixed (half refuse their stream)")
	fs.DurationVar(&o.StartDelay, "start-delay", time.Second, "an Assembly's first result comes this long after its stream connected (or its watch was accepted, when polled), as uploads take a while")
	fs.DurationVar(&o.Duration, "duration", 2*time.Minute, "bound on each phase; events not delivered by then count as missing")
	fs.BoolVar(&o.JSON, "json", false, "print the results as JSON instead of the table")
	fs.StringVar(&o.Plot, "plot", "", "write the latency distributions to this SVG file")
	fs.StringVar(&o.Bin, "bin", "", "tlbridge binary to measure; empty builds ./cmd/tlbridge")
	fs.StringVar(&o.BaselineBin, "baseline-bin", "", "a second tlbridge binary (e.g. an older commit) measured in the same run")
	fs.BoolVar(&o.BaselineFirst, "baseline-first", false, "measure --baseline-bin before --bin; on a busy machine the binary measured second tends to run cheaper, so compare both orders")
	fs.BoolVar(&o.RefsFirst, "refs-first", false, "measure the references before the bridges; like --baseline-first, for comparing a bridge with the relay in both orders")
	fs.Func("bridge-env", "`KEY=VALUE` added to the environment of the measured bridges (not of the references), e.g. GOMEMLIMIT=450MiB; repeatable", func(kv string) error {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("want KEY=VALUE, got %q", kv)
		}
		o.BridgeEnv = append(o.BridgeEnv, kv)
		return nil
	})
	refs := fs.String("refs", kindRelay+","+kindPoll1s, "references measured in the same run (after the bridges, unless --refs-first), comma-separated: relay, poll-1s; empty for none")
	fs.IntVar(&o.Concurrency, "watch-concurrency", 32, "watch requests in flight while the watches are sent")
	fs.BoolVar(&o.Warmup, "warmup", true, "before the measured phases, run the first target once as they will run, unmeasured: without it the column measured first runs slower on a loaded machine, the same binary in both columns included")
	fs.BoolVar(&o.TLS, "tls", true, "serve the Transloadit API over HTTPS (HTTP/2 or HTTP/1.1 by ALPN), as production does; false serves plain HTTP/1.1")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%w: %v", errUsage, err)
	}
	if *refs != "" {
		o.Refs = strings.Split(*refs, ",")
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return o, o.validate()
}

func (o options) validate() error {
	switch {
	case o.Watches <= 0:
		return fmt.Errorf("%w: --watches must be positive", errUsage)
	case o.Results < 0:
		return fmt.Errorf("%w: --results must not be negative", errUsage)
	case o.Watches*(o.Results+1) > maxSamples:
		return fmt.Errorf("%w: --watches × --results over %d", errUsage, maxSamples)
	case o.Rate < 0 || o.Rate > 10000:
		return fmt.Errorf("%w: --rate must be in [0, 10000]", errUsage)
	case o.Mode != modeSSE && o.Mode != modePoll && o.Mode != modeMixed:
		return fmt.Errorf("%w: --mode must be sse, poll or mixed", errUsage)
	case o.StartDelay < 0 || o.StartDelay > time.Hour:
		return fmt.Errorf("%w: --start-delay must be in [0, 1h]", errUsage)
	case o.Duration <= 0:
		return fmt.Errorf("%w: --duration must be positive", errUsage)
	case slices.ContainsFunc(o.Refs, func(r string) bool { return r != kindRelay && r != kindPoll1s }):
		return fmt.Errorf("%w: --refs takes relay and poll-1s", errUsage)
	case o.Concurrency <= 0 || o.Concurrency > 1024:
		return fmt.Errorf("%w: --watch-concurrency must be in [1, 1024]", errUsage)
	}
	return nil
}

// scheme is the load source's URL scheme.
func (o options) scheme() string {
	if o.TLS {
		return "https"
	}
	return "http"
}

// measured returns the indexes of targets in the order they are measured:
// as listed, but for --baseline-first and --refs-first.
func (o options) measured(targets []target) []int {
	var bridges, refs []int
	for i, t := range targets {
		if t.Kind == kindBridge {
			bridges = append(bridges, i)
		} else {
			refs = append(refs, i)
		}
	}
	if o.BaselineFirst && len(bridges) == 2 { // the baseline is the second column
		bridges[0], bridges[1] = bridges[1], bridges[0]
	}
	if o.RefsFirst {
		return append(refs, bridges...)
	}
	return append(bridges, refs...)
}

// warmup returns the target of the warm-up phase, the one measured
// first; ok is false when there is none.
func (o options) warmup(targets []target) (t target, ok bool) {
	if !o.Warmup || len(targets) == 0 {
		return target{}, false
	}
	return targets[o.measured(targets)[0]], true
}

// targets lists the columns of the run.
func (o options) targets() []target {
	ts := []target{{Name: "tlbridge", Kind: kindBridge, Bin: o.Bin}}
	if o.BaselineBin != "" {
		ts = append(ts, target{Name: "baseline-bin", Kind: kindBridge, Bin: o.BaselineBin})
	}
	for _, r := range o.Refs {
		// The relay reads update streams; without streams it has no column.
		if r != kindRelay || o.Mode != modePoll {
			ts = append(ts, target{Name: r, Kind: r})
		}
	}
	return ts
}
