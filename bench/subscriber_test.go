package main

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestCollectorClassify(t *testing.T) {
	x := newIDs()
	c := newCollector(x, nil, 3, 2)
	asm := x.assembly(1)
	subj := func(suffix string) string { return "transloadit.v1.assemblies." + asm + "." + suffix }
	for _, tt := range []struct {
		name    string
		subject string
		data    string
		kind    eventKind
		asm     int
		res     int
	}{
		{"bridge result", subj("steps.waveformed.result"), `{"data":{"result":{"id":"` + x.result(1, 1) + `"}}}`, kindResult, 1, 1},
		{"relay result frame", subj("frame"), "event: assembly_result_finished\ndata: [\"w\",{\"id\":\"" + x.result(1, 0) + "\"}]\n", kindResult, 1, 0},
		{"bridge completed", subj("completed"), `{"data":{"results":["` + x.result(1, 1) + `"]}}`, kindTerminal, 1, -1},
		{"relay finished frame", subj("frame"), "data: assembly_finished\n", kindTerminal, 1, -1},
		{"executing", subj("executing"), `{}`, kindOther, 0, 0},
		{"relay id line", subj("frame"), "id: " + asm + "\n", kindOther, 0, 0},
		{"result index out of range", subj("result"), x.result(1, 2), kindOther, 0, 0},
		{"foreign assembly", "transloadit.v1.assemblies." + newIDs().assembly(1) + ".completed", "{}", kindOther, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, r, k := c.classify(tt.subject, []byte(tt.data))
			if k != tt.kind || k != kindOther && (a != tt.asm || r != tt.res) {
				t.Errorf("classify(%q) = %d, %d, %v; want %d, %d, %v", tt.subject, a, r, k, tt.asm, tt.res, tt.kind)
			}
		})
	}
}

func TestCollectorCompletes(t *testing.T) {
	x := newIDs()
	src := &loadSource{cfg: loadConfig{Results: 1}, asms: make([]asmState, 1)}
	src.asms[0].stamps = make([]atomic.Int64, 1)
	c := newCollector(x, src, 1, 1)
	now := time.Now()
	src.asms[0].stamps[0].Store(now.Add(-3 * time.Millisecond).UnixNano())
	subj := "transloadit.v1.assemblies." + x.assembly(0) + "."
	c.observe(subj+"result", []byte(x.result(0, 0)), now)
	c.observe(subj+"result", []byte(x.result(0, 0)), now)
	select {
	case <-c.complete:
		t.Fatal("complete before the terminal event")
	default:
	}
	c.observe(subj+"completed", nil, now)
	<-c.complete
	d := c.snapshot()
	if d.Missing != 0 || d.Dups != 1 || d.Events != 3 || len(d.Latencies) != 1 || d.Latencies[0] != 3*time.Millisecond {
		t.Errorf("snapshot = %+v; want nothing missing, 1 duplicate, 3 events, one 3ms latency", d)
	}
}
