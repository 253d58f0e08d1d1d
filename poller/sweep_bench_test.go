package poller

import (
	"fmt"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry/retrytest"
	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// BenchmarkTrackChurn measures what a new watch costs the Poller's
// bookkeeping while n other Assemblies are tracked: an entry is made for
// it, and an earlier one, forgotten right after its last request, is
// still guarding the rate limit, which makes each new entry sweep. Time
// moves 1ms per new watch, so the forgotten become quiet a second later.
func BenchmarkTrackChurn(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("tracked=%d", n), func(b *testing.B) {
			clock := retrytest.NewClock()
			p, err := New(Config{
				APIBase:    "https://api2.transloadit.com",
				AllowList:  transloadit.AllowList{HostSuffixes: []string{"transloadit.com"}},
				Clock:      clock,
				MaxTracked: 2 * n,
			})
			if err != nil {
				b.Fatal(err)
			}
			id := func(i int) string { return fmt.Sprintf("%032x", i) }
			p.mu.Lock()
			defer p.mu.Unlock()
			for i := range n {
				if _, err := p.entryLocked(id(i)); err != nil {
					b.Fatal(err)
				}
			}
			i := n
			b.ReportAllocs()
			for b.Loop() {
				e, err := p.entryLocked(id(i))
				if err != nil {
					b.Fatal(err)
				}
				e.hist.lastEnd = clock.Now() // a request just ended
				p.mu.Unlock()
				p.Forget(id(i))
				clock.Advance(time.Millisecond)
				p.mu.Lock()
				i++
			}
		})
	}
}
