package poller_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/poller"
)

// gateServer answers each status request with a running status of the
// Assembly asked for, once its gate is open; it records how many requests
// it holds at once.
type gateServer struct {
	*httptest.Server
	mu      sync.Mutex // guards gate, active, peak and seen
	gate    chan struct{}
	active  int
	peak    int
	seen    map[string]int
	waiting atomic.Int64 // the sum of the OnInFlightWait deltas
}

func newGateServer(t *testing.T) *gateServer {
	t.Helper()
	s := &gateServer{gate: make(chan struct{}), seen: make(map[string]int)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	t.Cleanup(s.open) // a failed test must not leave handlers blocked
	return s
}

func (s *gateServer) serve(w http.ResponseWriter, r *http.Request) {
	id := path.Base(r.URL.Path)
	s.mu.Lock()
	s.active++
	s.peak = max(s.peak, s.active)
	s.seen[id]++
	gate := s.gate
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
	}()
	select {
	case <-gate:
	case <-r.Context().Done():
		return
	}
	fmt.Fprintf(w, `{"ok":"ASSEMBLY_EXECUTING","assembly_id":%q}`, id)
}

// open lets every held request and all later ones through.
func (s *gateServer) open() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.gate:
	default:
		close(s.gate)
	}
}

// shut holds requests again.
func (s *gateServer) shut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gate = make(chan struct{})
}

func (s *gateServer) state() (active, peak int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active, s.peak
}

func (s *gateServer) requests(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[id]
}

func (s *gateServer) poller(t *testing.T, maxInFlight int) *poller.Poller {
	p, _, _ := newPoller(t, s.URL, func(c *poller.Config) {
		c.MaxInFlight = maxInFlight
		// Longer than any wait of the test: no request may end but by
		// its answer.
		c.RequestTimeout = time.Hour
		c.OnInFlightWait = func(d int) { s.waiting.Add(int64(d)) }
	})
	return p
}

func assemblyID(n int) string { return fmt.Sprintf("%032x", n) }

// fetchAll fetches Assemblies first, first+1, ... first+n-1 at once; the
// results arrive on the returned channel.
func fetchAll(ctx context.Context, p *poller.Poller, first, n int) <-chan error {
	out := make(chan error, n)
	for i := range n {
		go func() {
			_, err := p.Fetch(ctx, poller.Target{AssemblyID: assemblyID(first + i)})
			out <- err
		}()
	}
	return out
}

func expectOK(t *testing.T, out <-chan error, n int) {
	t.Helper()
	for range n {
		if err := <-out; err != nil {
			t.Errorf("Fetch() error = %v; want a status", err)
		}
	}
}

// TestFetchBoundsInFlight: fetches of distinct Assemblies beyond
// MaxInFlight wait for a turn, without a request, and all succeed.
func TestFetchBoundsInFlight(t *testing.T) {
	const limit, fetches = 2, 10
	s := newGateServer(t)
	p := s.poller(t, limit)
	out := fetchAll(t.Context(), p, 1, fetches)
	eventually(t, "the bound reached and the rest waiting", func() bool {
		active, _ := s.state()
		return active == limit && s.waiting.Load() == fetches-limit
	})
	s.open()
	expectOK(t, out, fetches)
	if _, peak := s.state(); peak != limit {
		t.Errorf("requests held at once = %d; want %d", peak, limit)
	}
	if n := s.waiting.Load(); n != 0 {
		t.Errorf("fetches waiting after all ended = %d; want 0", n)
	}
}

// TestFetchCanceledWhileWaitingForSlot: a fetch waiting for a turn
// returns its context's error when the context ends, having sent nothing,
// and leaves every slot to those after it.
func TestFetchCanceledWhileWaitingForSlot(t *testing.T) {
	const limit = 2
	s := newGateServer(t)
	p := s.poller(t, limit)
	held := fetchAll(t.Context(), p, 1, limit)
	eventually(t, "every slot held", func() bool { active, _ := s.state(); return active == limit })

	ctx, cancel := context.WithCancel(t.Context())
	canceled := fetchAll(ctx, p, 100, 1)
	eventually(t, "the extra fetch waiting", func() bool { return s.waiting.Load() == 1 })
	cancel()
	var err error
	eventually(t, "the canceled fetch to return", func() bool {
		select {
		case err = <-canceled:
			return true
		default:
			return false
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch() error = %v; want context.Canceled", err)
	}
	if n := s.requests(assemblyID(100)); n != 0 {
		t.Errorf("requests of the canceled fetch = %d; want 0", n)
	}
	s.open()
	expectOK(t, held, limit)

	s.shut()
	again := fetchAll(t.Context(), p, 200, limit)
	eventually(t, "every slot held again", func() bool { active, _ := s.state(); return active == limit })
	s.open()
	expectOK(t, again, limit)
	if n := s.waiting.Load(); n != 0 {
		t.Errorf("fetches waiting after all ended = %d; want 0", n)
	}
}
