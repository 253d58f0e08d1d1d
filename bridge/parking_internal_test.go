package bridge

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/gopool"
)

// However news and turns interleave, one goroutine at a time takes turns,
// and no news is left unseen once the watch parked.
func TestParkingOneTurnAtATimeNothingLeftUnseen(t *testing.T) {
	pool := gopool.New()
	defer pool.Close()
	const posters, rounds = 4, 2000
	news := make(chan struct{}, posters)
	var seen atomic.Int64
	var inTurn atomic.Int32
	p := &parking{spawn: pool.Go}
	p.resume = func() {
		for {
			if inTurn.Add(1) != 1 {
				t.Error("two goroutines take turns at once")
			}
			for drained := false; !drained; {
				select {
				case <-news:
					seen.Add(1)
				default:
					drained = true
				}
			}
			inTurn.Add(-1)
			runtime.Gosched() // widens the window for news before park
			if p.park() {
				return
			}
		}
	}
	// Rounds of concurrent news: a wake lost in any round leaves its news
	// unseen.
	for round := 1; round <= rounds; round++ {
		var wg sync.WaitGroup
		for range posters {
			wg.Go(func() {
				news <- struct{}{}
				p.wake()
			})
		}
		wg.Wait()
		deadline := time.Now().Add(10 * time.Second)
		for seen.Load() != int64(round*posters) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d of %d news seen, and the watch parked", round, seen.Load(), round*posters)
			}
			runtime.Gosched()
		}
	}
}
