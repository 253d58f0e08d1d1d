package poller_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/poller"
)

// TestFetchUnderLoad: twenty callers hammering one Assembly, with answers
// of varying latency, never put four requests into one second on the
// server's clock.
func TestFetchUnderLoad(t *testing.T) {
	up := newUpstream(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n%3 == 0 { // a slow answer now and then: its arrival can sit late
			select {
			case <-time.After(300 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		reply(200, runningBody)(w)
	})
	p, _, _ := newPoller(t, up.URL, func(c *poller.Config) {
		c.Clock = nil
		c.MaxRPS = poller.MaxMaxRPS
	})
	hammer(t, p, poller.Target{AssemblyID: testID}, 20, 2500*time.Millisecond)
	at := up.arrivals()
	if got := maxInWindow(at, time.Second); got > 3 {
		t.Errorf("most requests in one second = %d; want at most 3 (arrivals %v)", got, at)
	}
	if len(at) < 2 {
		t.Errorf("requests = %d; want the callers to have been served repeatedly", len(at))
	}
}

// hammer runs callers goroutines calling Fetch in a loop for d; every call
// must succeed.
func hammer(t *testing.T, p *poller.Poller, target poller.Target, callers int, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	errs := make(chan error, callers)
	for i := 0; i < callers; i++ {
		go func() {
			for {
				_, err := p.Fetch(ctx, target)
				if ctx.Err() != nil {
					errs <- nil
					return
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < callers; i++ {
		if err := <-errs; err != nil {
			t.Errorf("Fetch() under load = %v", err)
		}
	}
}
