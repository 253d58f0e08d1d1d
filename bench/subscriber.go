package main

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/schemas"
)

// collector is the subscriber's bookkeeping: which results and terminal
// events of the phase arrived, how late, and how many extra events came.
//
// An event is a result when its subject ends in ".result" or ".frame"
// (the relay's raw frames) and carries a result ID of the phase; it is
// terminal when its subject ends in ".completed" or it is a raw
// assembly_finished frame. Every other event (executing, uploads,
// progress) is counted, not timed.
type collector struct {
	ids     ids
	src     *loadSource
	results int

	mu        sync.Mutex // guards the fields below
	seen      [][]bool   // [asm][res]
	finished  []bool
	missing   int // results and terminal events not yet seen
	latencies []time.Duration
	terminal  []time.Duration // the terminal events' latencies, also in latencies
	dups      int
	other     int
	events    int
	last      time.Time
	complete  chan struct{} // closed when missing reaches 0
}

func newCollector(x ids, src *loadSource, assemblies, results int) *collector {
	c := &collector{
		ids: x, src: src, results: results,
		seen:     make([][]bool, assemblies),
		finished: make([]bool, assemblies),
		missing:  assemblies * (results + 1),
		complete: make(chan struct{}),
	}
	for i := range c.seen {
		c.seen[i] = make([]bool, results)
	}
	if c.missing == 0 {
		close(c.complete)
	}
	return c
}

// observe records one event received at now.
func (c *collector) observe(subject string, data []byte, now time.Time) {
	asm, res, kind := c.classify(subject, data)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events++
	c.last = now
	switch kind {
	case kindResult:
		c.mark(&c.seen[asm][res], asm, res, now)
	case kindTerminal:
		c.mark(&c.finished[asm], asm, -1, now)
	default:
		c.other++
	}
}

// mark notes a timed event, once.
func (c *collector) mark(seen *bool, asm, res int, now time.Time) {
	if *seen {
		c.dups++
		return
	}
	*seen = true
	if at := c.src.stamp(asm, res); !at.IsZero() {
		c.latencies = append(c.latencies, now.Sub(at))
		if res < 0 {
			c.terminal = append(c.terminal, now.Sub(at))
		}
	}
	c.missing--
	if c.missing == 0 {
		close(c.complete)
	}
}

type eventKind int

const (
	kindOther eventKind = iota
	kindResult
	kindTerminal
)

func (c *collector) classify(subject string, data []byte) (asm, res int, kind eventKind) {
	suffix := subject[strings.LastIndexByte(subject, '.')+1:]
	switch suffix {
	case "result", "frame":
		if a, r, ok := c.ids.findResult(data); ok && a < len(c.seen) && r < c.results {
			return a, r, kindResult
		}
	}
	if suffix == "completed" || suffix == "frame" && strings.HasPrefix(string(data), "data: assembly_finished") {
		if a, ok := c.assemblyOf(subject); ok {
			return a, -1, kindTerminal
		}
	}
	return 0, 0, kindOther
}

// assemblyOf reads the Assembly ID token of "<prefix>.v1.assemblies.<id>...".
func (c *collector) assemblyOf(subject string) (int, bool) {
	tok := strings.SplitN(subject, ".", 5)
	if len(tok) < 5 {
		return 0, false
	}
	a, ok := c.ids.parseAssembly(tok[3])
	return a, ok && a < len(c.finished)
}

// snapshot copies what was collected so far.
func (c *collector) snapshot() delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return delivery{
		Latencies: append([]time.Duration(nil), c.latencies...),
		Terminal:  append([]time.Duration(nil), c.terminal...),
		Missing:   c.missing,
		Dups:      c.dups,
		Other:     c.other,
		Events:    c.events,
		Last:      c.last,
	}
}

// delivery is what the subscriber saw in one phase.
type delivery struct {
	Latencies   []time.Duration
	Terminal    []time.Duration
	Missing     int
	Dups, Other int
	Events      int
	Last        time.Time
}

// subscribe consumes the event stream from its start with an ordered
// consumer (flow-controlled, no acks) until stop is called.
func subscribe(ctx context.Context, js jetstream.JetStream, c *collector) (stop func(), err error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(cctx, streamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{schemas.AllSubjects(schemas.DefaultPrefix)},
	})
	if err != nil {
		return nil, err
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		c.observe(m.Subject(), m.Data(), time.Now())
	})
	if err != nil {
		return nil, err
	}
	return func() {
		cc.Stop()
		select {
		case <-cc.Closed():
		case <-time.After(5 * time.Second):
		}
	}, nil
}
