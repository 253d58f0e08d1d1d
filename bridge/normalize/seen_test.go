package normalize

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"testing"
)

// TestSeenSetAcrossItsIndex: below and above smallSet keys, a seen set
// admits each key once, knows exactly the keys added, and keeps their
// order.
func TestSeenSetAcrossItsIndex(t *testing.T) {
	var s seenSet
	var want []string
	for i := range 2*smallSet + 3 {
		k := fmt.Sprintf("%032x", i*7919)
		if !s.add(k) {
			t.Fatalf("add(%s), new, at %d keys = false", k, i)
		}
		want = append(want, k)
		for _, old := range []string{k, want[0], want[len(want)/2]} {
			if s.add(old) {
				t.Fatalf("add(%s), seen, at %d keys = true", old, i+1)
			}
		}
		if s.has(fmt.Sprintf("%032x", i*7919+1)) {
			t.Fatalf("has(a key never added) at %d keys", i+1)
		}
		if indexed := s.index != nil; indexed != (len(want) > smallSet) {
			t.Fatalf("indexed = %v at %d keys; want an index past %d", indexed, len(want), smallSet)
		}
	}
	if !slices.Equal(s.orderedKeys(), want) || s.len() != len(want) {
		t.Errorf("orderedKeys = %d keys, not the %d added in order", s.len(), len(want))
	}
}

// TestSeenSetTagIsNotTheKey: keys whose tags match are still compared,
// so a key sharing another's tag is not taken for it.
func TestSeenSetTagIsNotTheKey(t *testing.T) {
	var s seenSet
	s.add("a")
	s.tags[0] = tagOf("b")
	if s.has("b") {
		t.Error(`has("b") with only "a" added, under b's tag = true`)
	}
	if !s.add("b") || !s.has("b") {
		t.Error(`"b" not added beside an "a" with its tag`)
	}
}

// BenchmarkSeenSetHas looks up the keys of a 60-result Step in order, as
// a status fetched with Known does, and a key not yet added, as each new
// result is.
func BenchmarkSeenSetHas(b *testing.B) {
	var s seenSet
	keys := make([]string, 60)
	for i := range keys {
		keys[i] = fmt.Sprintf("%032x", i*7919)
		s.add(keys[i])
	}
	b.Run("each", func(b *testing.B) {
		for b.Loop() {
			for _, k := range keys {
				if !s.has(k) {
					b.Fatal("missing")
				}
			}
		}
	})
	b.Run("new", func(b *testing.B) {
		k := fmt.Sprintf("%032x", 1)
		for b.Loop() {
			if s.has(k) {
				b.Fatal("found")
			}
		}
	})
}

// BenchmarkSeenSetMemory reports the heap a Step's seen set holds for its
// life besides the key strings (which the events share), at sizes below
// and above smallSet. It reports, it does not time; run it with
// -benchtime 1x.
func BenchmarkSeenSetMemory(b *testing.B) {
	for _, n := range []int{10, 60, 200} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				const sets = 1000
				keys := make([][]string, sets)
				for i := range keys {
					for j := range n {
						keys[i] = append(keys[i], fmt.Sprintf("%032x", i*100000+j))
					}
				}
				before := heapInUse()
				held := make([]seenSet, sets)
				for i := range held {
					for _, k := range keys[i] {
						held[i].add(k)
					}
				}
				after := heapInUse()
				runtime.KeepAlive(held)
				runtime.KeepAlive(keys)
				b.ReportMetric(float64(after-before)/sets, "B/set")
			}
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
