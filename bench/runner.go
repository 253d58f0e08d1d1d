package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/consume"
)

// env is what every phase of a run shares.
type env struct {
	opts    options
	nc      *nats.Conn
	js      jetstream.JetStream
	natsURL string
	dataDir string
	client  *http.Client // loopback only

	cert     *upstreamCert // the load source's, with --tls
	certFile string        // cert's PEM, for the targets' SSL_CERT_FILE
}

// result is one target's figures. Later figures (e.g. KV writes per
// Assembly) are a field here, filled in runPhase, plus a row in figures.
type result struct {
	Target  string `json:"target"`
	Kind    string `json:"kind"`
	Mode    string `json:"mode"`
	Watches int    `json:"watches"`
	Results int    `json:"results_per_assembly"`

	Refused   int `json:"watches_refused"`
	Expected  int `json:"expected"`
	Delivered int `json:"delivered"`
	Missing   int `json:"missing"`
	Dups      int `json:"duplicates"`
	Other     int `json:"other_events"`
	Events    int `json:"events"`

	Elapsed time.Duration `json:"elapsed_ns"` // first watch sent to last event received
	CPU     time.Duration `json:"cpu_ns"`     // of the target, over the same span
	// BenchCPU is this process's CPU over the same span: the load source,
	// the NATS server and the subscriber. Near one core per core of the
	// machine, the bench itself is the limit.
	BenchCPU time.Duration `json:"bench_cpu_ns"`
	// ReadCalls and WriteCalls count the target's read and write system
	// calls over the same span (-1: not known). Each write to NATS or to
	// the upstream is also a wake-up of the reader at the other end.
	ReadCalls  int64 `json:"read_syscalls"`
	WriteCalls int64 `json:"write_syscalls"`
	// LoadAvg is the machine's one-minute load average at the end: other
	// work on the machine shows here.
	LoadAvg float64 `json:"load_average"`

	IdleRSS        int64   `json:"idle_rss_bytes"`
	PeakRSS        int64   `json:"peak_rss_bytes"`
	IdleGoroutines float64 `json:"idle_goroutines"`
	PeakGoroutines float64 `json:"peak_goroutines"`
	// IdleStack and PeakStack are the goroutine stacks' memory
	// (go_memstats_stack_inuse_bytes), part of the RSS: what the
	// goroutines of the watches hold apart from the heap.
	IdleStack float64 `json:"idle_stack_bytes"`
	PeakStack float64 `json:"peak_stack_bytes"`
	// PeakWatches is the most watches the bridge held at once
	// (tlbridge_watches_active); 0 for a process without the gauge. A
	// machine that cannot keep up sees Assemblies end before the last
	// ones are watched.
	PeakWatches float64 `json:"peak_watches_open"`
	// Admission is how long the watches took to be accepted, from the
	// first request sent to the last reply. A bridge that accepts faster
	// starts its Assemblies closer together, and so gets a burstier load:
	// compare it before comparing latencies.
	Admission time.Duration `json:"admission_ns"`

	StatusRequests    int64 `json:"status_requests"`
	StreamConnections int64 `json:"stream_connections"`

	// Upstream is how the target talked to the load source, as the load
	// source saw it: "HTTP/2 over TLS", "HTTP/1.1", or both with counts.
	Upstream      string `json:"upstream"`
	UpstreamHTTP1 int64  `json:"upstream_http1_requests"`
	UpstreamHTTP2 int64  `json:"upstream_http2_requests"`

	Latency     distribution `json:"-"` // every timed event
	TermLatency distribution `json:"-"` // the terminal events only
	Error       string       `json:"error,omitempty"`
}

// runPhase measures one target: a fresh stream, load source and process.
func (e *env) runPhase(ctx context.Context, t target) (res result, err error) {
	o := e.opts
	res = result{Target: t.Name, Kind: t.Kind, Mode: o.Mode, Watches: o.Watches, Results: o.Results}
	if err := resetStream(ctx, e.js); err != nil {
		return res, err
	}
	x := newIDs()
	src, err := newLoadSource(loadConfig{
		Assemblies: o.Watches, Results: o.Results, Rate: o.Rate, StartDelay: o.StartDelay,
		Streamed: t.streamed(o.Mode), TLS: e.cert,
	}, x)
	if err != nil {
		return res, err
	}
	defer src.close()
	p, err := t.start(o, e.natsURL, src.pay.base, e.certFile, e.dataDir)
	if err != nil {
		return res, err
	}
	defer func() {
		if serr := p.stop(30 * time.Second); serr != nil && err == nil {
			res.Error = serr.Error()
		}
	}()
	if err := p.awaitReady(ctx, e.client); err != nil {
		return res, err
	}
	coll := newCollector(x, src, o.Watches, o.Results)
	stopSub, err := subscribe(ctx, e.js, coll)
	if err != nil {
		return res, err
	}
	defer stopSub()
	return e.measure(ctx, p, src, coll, res)
}

// measure sends the watches and waits for every event or the phase's
// bound, sampling the process from outside.
func (e *env) measure(ctx context.Context, p *process, src *loadSource, coll *collector, res result) (result, error) {
	idle, err := readProc(p.pid())
	if err != nil {
		return res, err
	}
	self, err := readProc(os.Getpid())
	if err != nil {
		return res, err
	}
	metricsURL := "http://" + p.httpAddr + "/metrics"
	res.IdleRSS = idle.RSS
	if g, err := scrapeGauges(ctx, e.client, metricsURL, sampled...); err == nil {
		res.IdleGoroutines, res.IdleStack = g[gaugeGoroutines], g[gaugeStack]
	}
	pctx, cancel := context.WithTimeout(ctx, e.opts.Duration)
	defer cancel()
	peaks := startSampler(pctx, e.client, metricsURL)
	start := time.Now()
	res.Refused = e.sendWatches(pctx, src)
	res.Admission = time.Since(start)
	select {
	case <-coll.complete:
	case <-pctx.Done():
	case <-p.exited:
		// Nothing left to read in /proc: the phase has no figures.
		return res, fmt.Errorf("%s exited during the phase: %v\n%s", p.name, p.waitErr, p.stderr)
	}
	end, err := readProc(p.pid())
	selfEnd, _ := readProc(os.Getpid())
	res.BenchCPU = selfEnd.CPU - self.CPU
	res.LoadAvg, _ = readLoadAvg()
	cancel()
	peak := peaks()
	res.PeakGoroutines = max(peak[gaugeGoroutines], res.IdleGoroutines)
	res.PeakStack = max(peak[gaugeStack], res.IdleStack)
	res.PeakWatches = peak[gaugeWatches]
	if err != nil {
		return res, err
	}
	res.CPU = end.CPU - idle.CPU
	res.PeakRSS = end.PeakRSS
	if idle.Writes >= 0 && end.Writes >= 0 {
		res.ReadCalls, res.WriteCalls = end.Reads-idle.Reads, end.Writes-idle.Writes
	} else {
		res.ReadCalls, res.WriteCalls = -1, -1
	}
	d := coll.snapshot()
	res.Expected = e.opts.Watches * (e.opts.Results + 1)
	res.Missing, res.Dups, res.Other, res.Events = d.Missing, d.Dups, d.Other, d.Events
	res.Delivered = res.Expected - d.Missing
	res.Latency = newDistribution(d.Latencies)
	res.TermLatency = newDistribution(d.Terminal)
	if !d.Last.IsZero() {
		res.Elapsed = d.Last.Sub(start)
	}
	res.StatusRequests, res.StreamConnections = src.counts()
	res.UpstreamHTTP1, res.UpstreamHTTP2 = src.protocols()
	res.Upstream = upstreamProtocol(e.opts.TLS, res.UpstreamHTTP1, res.UpstreamHTTP2)
	return res, nil
}

// The gauges startSampler follows; a reference process has only the
// first two.
const (
	gaugeGoroutines = "go_goroutines"
	gaugeStack      = "go_memstats_stack_inuse_bytes"
	gaugeWatches    = "tlbridge_watches_active"
)

var sampled = []string{gaugeGoroutines, gaugeStack, gaugeWatches}

// startSampler scrapes the sampled gauges twice a second until ctx ends;
// the returned func waits for it and gives the highest value of each
// gauge the process has.
func startSampler(ctx context.Context, client *http.Client, url string) func() map[string]float64 {
	peak := make(map[string]float64, len(sampled))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			if vs, err := scrapeGauges(ctx, client, url, sampled...); err == nil {
				for name, v := range vs {
					peak[name] = max(peak[name], v)
				}
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() map[string]float64 {
		<-done
		return peak
	}
}

// sendWatches asks the target to watch every Assembly, as clients do: a
// NATS request on the intake subject. It returns how many were refused
// or unanswered; each request is tried at most three times.
func (e *env) sendWatches(ctx context.Context, src *loadSource) (refused int) {
	var mu sync.Mutex // guards refused
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range e.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := e.watch(ctx, src, i); err != nil {
					mu.Lock()
					refused++
					mu.Unlock()
				}
			}
		}()
	}
	for i := range e.opts.Watches {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return refused
}

func (e *env) watch(ctx context.Context, src *loadSource, i int) error {
	req := schemas.WatchRequest{
		AssemblyID:      src.pay.ids.assembly(i),
		AssemblySSLURL:  src.pay.statusURL(i),
		UpdateStreamURL: src.pay.streamURL(i),
	}
	var err error
	for range 3 {
		// As clients ask: the public watch client, over the wire.
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err = consume.Watch(rctx, e.nc, req)
		cancel()
		if err == nil {
			src.watched(i)
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
	}
	return err
}
