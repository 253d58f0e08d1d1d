package poller

import (
	"fmt"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry/retrytest"
	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// TestSweepDropsForgottenOnceQuiet: entries forgotten while guarding the
// limit are dropped once quiet, a busy one does not hold up the others,
// one used again is kept, and the least-recently-used list stays in step
// with the map.
func TestSweepDropsForgottenOnceQuiet(t *testing.T) {
	clock := retrytest.NewClock()
	p, err := New(Config{
		APIBase:   "https://api2.transloadit.com",
		AllowList: transloadit.AllowList{HostSuffixes: []string{"transloadit.com"}},
		Clock:     clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	id := func(i int) string { return fmt.Sprintf("%032x", i) }
	p.mu.Lock()
	busy := p.addLocked(id(0))
	busy.flight = &flight{done: make(chan struct{})}
	for i := range 10 {
		e, _ := p.entryLocked(id(i + 1))
		e.hist.lastEnd = clock.Now()
	}
	p.mu.Unlock()
	for i := range 11 {
		p.Forget(id(i))
	}
	p.mu.Lock()
	revived, _ := p.entryLocked(id(5)) // used again before it was dropped
	p.mu.Unlock()
	clock.Advance(3 * time.Second)
	for i := range 10 { // each new entry sweeps a little
		p.mu.Lock()
		if _, err := p.entryLocked(id(100 + i)); err != nil {
			t.Fatal(err)
		}
		p.mu.Unlock()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	want := map[string]bool{id(0): true, id(5): true}
	for i := range 10 {
		want[id(100+i)] = true
	}
	if len(p.entries) != len(want) {
		t.Errorf("tracked %d entries; want %d (the busy, the revived and the new)", len(p.entries), len(want))
	}
	for k := range want {
		if p.entries[k] == nil {
			t.Errorf("entry %s dropped; want it kept", k)
		}
	}
	if p.entries[id(5)] != revived || revived.forgotten || p.nForgotten != 1 {
		t.Errorf("revived entry forgotten = %v, nForgotten = %d; want false and 1 (the busy one)", revived.forgotten, p.nForgotten)
	}
	n := 0
	for e := p.lru; e != nil; e = e.next {
		if p.entries[e.id] != e {
			t.Errorf("list holds %s, which the map does not", e.id)
		}
		n++
	}
	if n != len(p.entries) {
		t.Errorf("list holds %d entries; map %d", n, len(p.entries))
	}
}
