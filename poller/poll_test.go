package poller_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/poller"
)

// TestPollUntilTerminal: Poll hands every status to fn, waiting Interval
// between polls, and returns nil when fn says stop.
func TestPollUntilTerminal(t *testing.T) {
	up := newUpstream(t, sequence(reply(200, runningBody), reply(200, runningBody), reply(200, completedBody)))
	p, _, clock := newPoller(t, up.URL, func(c *poller.Config) { c.Interval = 7 * time.Second })
	var seen []transloadit.State
	err := p.Poll(context.Background(), poller.Target{AssemblyID: testID}, nil, func(st *transloadit.Status) bool {
		seen = append(seen, st.OK)
		return !st.Terminal()
	})
	if err != nil {
		t.Fatalf("Poll() = %v; want nil", err)
	}
	if len(seen) != 3 || seen[2] != transloadit.StateCompleted {
		t.Errorf("statuses = %v; want running, running, completed", seen)
	}
	intervals := 0
	for _, w := range clock.Waits() {
		if w == 7*time.Second {
			intervals++
		}
	}
	if intervals != 2 {
		t.Errorf("clock waits = %v; want two of the 7s interval", clock.Waits())
	}
}

// TestPollTrigger: a trigger polls at once instead of after the interval.
func TestPollTrigger(t *testing.T) {
	up := newUpstream(t, sequence(reply(200, runningBody), reply(200, completedBody)))
	p, _, _ := newPoller(t, up.URL, func(c *poller.Config) {
		c.Clock = nil
		c.Interval = time.Hour
	})
	trigger := make(chan struct{}, 1)
	calls := 0
	err := p.Poll(context.Background(), poller.Target{AssemblyID: testID}, trigger, func(st *transloadit.Status) bool {
		calls++
		trigger <- struct{}{}
		return !st.Terminal()
	})
	if err != nil || calls != 2 {
		t.Fatalf("Poll() = %v after %d statuses; want nil after 2", err, calls)
	}
}

// TestPollContextCancel: cancelling ends Poll while it waits.
func TestPollContextCancel(t *testing.T) {
	up := newUpstream(t, sequence(reply(200, runningBody)))
	p, _, _ := newPoller(t, up.URL, func(c *poller.Config) {
		c.Clock = nil
		c.Interval = time.Hour
	})
	ctx, cancel := context.WithCancel(context.Background())
	err := p.Poll(ctx, poller.Target{AssemblyID: testID}, nil, func(*transloadit.Status) bool {
		cancel()
		return true
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Poll() = %v; want context.Canceled", err)
	}
	if up.count() != 1 {
		t.Errorf("requests = %d; want 1", up.count())
	}
}

// TestPollClosedTrigger: a closed trigger is no reason to poll; Poll falls
// back to the interval.
func TestPollClosedTrigger(t *testing.T) {
	up := newUpstream(t, sequence(reply(200, runningBody)))
	p, _, _ := newPoller(t, up.URL, func(c *poller.Config) {
		c.Clock = nil
		c.Interval = time.Hour
	})
	trigger := make(chan struct{})
	close(trigger)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polled := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- p.Poll(ctx, poller.Target{AssemblyID: testID}, trigger, func(*transloadit.Status) bool {
			polled <- struct{}{}
			return true
		})
	}()
	<-polled
	// Long enough for the limiter to let a second poll through, were the
	// closed trigger read as a request for one.
	time.Sleep(1200 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Poll() = %v; want context.Canceled", err)
	}
	if up.count() != 1 {
		t.Errorf("requests = %d; want 1", up.count())
	}
}

// TestPollErrors: transient failures keep Poll going, not-found ends it
// unless OnError says otherwise.
func TestPollErrors(t *testing.T) {
	notFound := reply(404, `{"error":"ASSEMBLY_NOT_FOUND"}`)
	t.Run("malformed body is transient", func(t *testing.T) {
		up := newUpstream(t, sequence(reply(200, `{"ok":`), reply(200, completedBody)))
		p, _, _ := newPoller(t, up.URL, nil)
		err := p.Poll(context.Background(), poller.Target{AssemblyID: testID}, nil, func(st *transloadit.Status) bool { return !st.Terminal() })
		if err != nil || up.count() != 2 {
			t.Fatalf("Poll() = %v after %d requests; want nil after 2", err, up.count())
		}
	})
	t.Run("not found ends Poll by default", func(t *testing.T) {
		up := newUpstream(t, sequence(notFound))
		p, _, _ := newPoller(t, up.URL, nil)
		err := p.Poll(context.Background(), poller.Target{AssemblyID: testID}, nil, func(*transloadit.Status) bool { return true })
		if !errors.Is(err, poller.ErrAssemblyNotFound) {
			t.Fatalf("Poll() = %v; want ErrAssemblyNotFound", err)
		}
	})
	t.Run("OnError counts not-found answers", func(t *testing.T) {
		up := newUpstream(t, sequence(notFound, notFound, reply(200, runningBody), reply(200, completedBody)))
		p, _, _ := newPoller(t, up.URL, nil)
		var errs []error
		err := p.Poll(context.Background(), poller.Target{AssemblyID: testID}, nil,
			func(st *transloadit.Status) bool { return !st.Terminal() },
			poller.OnError(func(err error) bool { errs = append(errs, err); return true }))
		if err != nil || len(errs) != 2 || !errors.Is(errs[0], poller.ErrAssemblyNotFound) {
			t.Fatalf("Poll() = %v with errors %v; want nil after two not-found", err, errs)
		}
	})
	t.Run("OnError stops Poll", func(t *testing.T) {
		up := newUpstream(t, sequence(reply(503, `down`)))
		p, _, _ := newPoller(t, up.URL, nil)
		err := p.Poll(context.Background(), poller.Target{AssemblyID: testID}, nil,
			func(*transloadit.Status) bool { return true },
			poller.OnError(func(error) bool { return false }))
		if !errors.Is(err, poller.ErrRetriesExhausted) {
			t.Fatalf("Poll() = %v; want ErrRetriesExhausted", err)
		}
	})
	t.Run("oversized body ends Poll", func(t *testing.T) {
		up := newUpstream(t, sequence(reply(200, completedBody)))
		p, _, _ := newPoller(t, up.URL, func(c *poller.Config) { c.MaxBodyBytes = 8 })
		err := p.Poll(context.Background(), poller.Target{AssemblyID: testID}, nil, func(*transloadit.Status) bool { return true })
		if !errors.Is(err, poller.ErrBodyTooLarge) {
			t.Fatalf("Poll() = %v; want ErrBodyTooLarge", err)
		}
	})
}

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
