package poller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry/retrytest"
	"github.com/tlbridge/tlbridge/internal/transloadit"
)

const coalesceID = "7828446e5acd4aa996dce3455ec914e9"

// waitFor polls cond until it holds; the deadline only guards against a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// countingServer answers every status request with a running status whose
// bytes_received is the request's number (from 1); hold, when set, is
// waited on before answering.
func countingServer(t *testing.T, hold <-chan struct{}) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := n.Add(1)
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		fmt.Fprintf(w, `{"ok":"ASSEMBLY_EXECUTING","assembly_id":%q,"bytes_received":%d}`, coalesceID, k)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func newManualPoller(t *testing.T, base string) (*Poller, *retrytest.Clock) {
	t.Helper()
	clock := retrytest.NewClock()
	p, err := New(Config{
		APIBase:   base,
		AllowList: transloadit.AllowList{HostSuffixes: []string{"127.0.0.1"}, AllowHTTP: true},
		Clock:     clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, clock
}

// waiters returns how many callers wait on the Assembly's flight, or -1
// when none is in progress.
func (p *Poller) waiters(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.entries[id]; e != nil && e.flight != nil {
		return e.flight.waiters
	}
	return -1
}

type fetchResult struct {
	st  *transloadit.Status
	err error
}

func goFetch(ctx context.Context, p *Poller, wg *sync.WaitGroup, out chan<- fetchResult) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		st, err := p.Fetch(ctx, Target{AssemblyID: coalesceID})
		out <- fetchResult{st, err}
	}()
}

// TestFetchCoalesces: twenty concurrent callers, held by the limiter, share
// one request and one status.
func TestFetchCoalesces(t *testing.T) {
	srv, requests := countingServer(t, nil)
	p, clock := newManualPoller(t, srv.URL)
	ctx := context.Background()
	if _, err := p.Fetch(ctx, Target{AssemblyID: coalesceID}); err != nil {
		t.Fatal(err)
	}
	const callers = 20
	var wg sync.WaitGroup
	out := make(chan fetchResult, callers)
	for i := 0; i < callers; i++ {
		goFetch(ctx, p, &wg, out)
	}
	waitFor(t, "the leader to wait on the limiter and the rest to join", func() bool {
		return clock.Pending(time.Hour) == 1 && p.waiters(coalesceID) == callers-1
	})
	clock.Advance(time.Second)
	wg.Wait()
	close(out)
	var first *transloadit.Status
	for r := range out {
		if r.err != nil || r.st == nil {
			t.Fatalf("Fetch() = %v, %v; want a status", r.st, r.err)
		}
		if first == nil {
			first = r.st
		}
		if r.st != first {
			t.Errorf("callers got different statuses; want one shared status")
		}
	}
	if got := requests.Load(); got != 2 {
		t.Errorf("requests = %d; want 2 (one before, one shared by %d callers)", got, callers)
	}
}

// TestFetchIsFresh: a caller arriving while a request is already out does
// not get that request's (possibly stale) answer, but the next one.
func TestFetchIsFresh(t *testing.T) {
	hold := make(chan struct{})
	srv, requests := countingServer(t, hold)
	p, clock := newManualPoller(t, srv.URL)
	ctx := context.Background()
	var wg sync.WaitGroup
	early, late := make(chan fetchResult, 1), make(chan fetchResult, 1)
	goFetch(ctx, p, &wg, early)
	waitFor(t, "the first request to arrive", func() bool { return requests.Load() == 1 })
	clock.Advance(time.Millisecond)
	goFetch(ctx, p, &wg, late)
	waitFor(t, "the second caller to join", func() bool { return p.waiters(coalesceID) == 1 })
	close(hold)
	if r := <-early; r.err != nil || r.st.BytesReceived != 1 {
		t.Fatalf("early Fetch() = %+v, %v; want the first answer", r.st, r.err)
	}
	waitFor(t, "the second caller to wait on the limiter", func() bool { return clock.Pending(time.Hour) == 1 })
	clock.Advance(time.Second)
	if r := <-late; r.err != nil || r.st.BytesReceived != 2 {
		t.Fatalf("late Fetch() = %+v, %v; want the second answer", r.st, r.err)
	}
	wg.Wait()
}

// TestFetchLeaderCancel: when the caller leading a shared fetch gives up,
// a caller still waiting takes over instead of failing.
func TestFetchLeaderCancel(t *testing.T) {
	srv, requests := countingServer(t, nil)
	p, clock := newManualPoller(t, srv.URL)
	if _, err := p.Fetch(context.Background(), Target{AssemblyID: coalesceID}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	leaderCtx, cancel := context.WithCancel(context.Background())
	leader, follower := make(chan fetchResult, 1), make(chan fetchResult, 1)
	goFetch(leaderCtx, p, &wg, leader)
	waitFor(t, "the leader to wait on the limiter", func() bool { return clock.Pending(time.Hour) == 1 })
	goFetch(context.Background(), p, &wg, follower)
	waitFor(t, "the follower to join", func() bool { return p.waiters(coalesceID) == 1 })
	cancel()
	if r := <-leader; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("leader Fetch() error = %v; want context.Canceled", r.err)
	}
	waitFor(t, "the follower to lead", func() bool { return clock.Pending(time.Hour) == 1 && p.waiters(coalesceID) == 0 })
	clock.Advance(time.Second)
	if r := <-follower; r.err != nil || r.st.BytesReceived != 2 {
		t.Fatalf("follower Fetch() = %+v, %v; want the second answer", r.st, r.err)
	}
	wg.Wait()
	if got := requests.Load(); got != 2 {
		t.Errorf("requests = %d; want 2", got)
	}
}

// TestForgetKeepsWhatGuardsTheLimit: forgetting an Assembly right after a
// request does not reset its limiter; once quiet, its state is dropped.
func TestForgetKeepsWhatGuardsTheLimit(t *testing.T) {
	srv, _ := countingServer(t, nil)
	p, clock := newManualPoller(t, srv.URL)
	ctx := context.Background()
	if _, err := p.Fetch(ctx, Target{AssemblyID: coalesceID}); err != nil {
		t.Fatal(err)
	}
	p.Forget(coalesceID)
	p.mu.Lock()
	e := p.entries[coalesceID]
	p.mu.Unlock()
	if e == nil {
		t.Fatal("Forget dropped the limiter state of a request just made")
	}
	var wg sync.WaitGroup
	out := make(chan fetchResult, 1)
	goFetch(ctx, p, &wg, out)
	waitFor(t, "the refetch to wait on the limiter", func() bool { return clock.Pending(time.Hour) == 1 })
	clock.Advance(time.Second)
	if r := <-out; r.err != nil {
		t.Fatal(r.err)
	}
	wg.Wait()
	clock.Advance(2 * time.Second)
	p.Forget(coalesceID)
	p.mu.Lock()
	n := len(p.entries)
	p.mu.Unlock()
	if n != 0 {
		t.Errorf("entries after Forget of a quiet Assembly = %d; want 0", n)
	}
}

// TestTrackedStateIsBounded: at MaxTracked Assemblies, a new one is refused
// while the others' limiter state still matters, and admitted once it does
// not; forgotten entries are dropped first.
func TestTrackedStateIsBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"ok":"ASSEMBLY_EXECUTING"}`)
	}))
	t.Cleanup(srv.Close)
	clock := retrytest.NewClock()
	p, err := New(Config{
		APIBase:    srv.URL,
		AllowList:  transloadit.AllowList{HostSuffixes: []string{"127.0.0.1"}, AllowHTTP: true},
		Clock:      clock,
		MaxTracked: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	id := func(i int) string { return fmt.Sprintf("%032x", i) }
	fetch := func(i int) error {
		_, err := p.Fetch(context.Background(), Target{AssemblyID: id(i)})
		return err
	}
	for i := 1; i <= 2; i++ {
		if err := fetch(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := fetch(3); !errors.Is(err, ErrTooManyAssemblies) || !IsTransient(err) {
		t.Fatalf("Fetch of a third Assembly = %v; want ErrTooManyAssemblies", err)
	}
	p.Forget(id(1)) // still guarding its last request: kept for now
	clock.Advance(2 * time.Second)
	if err := fetch(3); err != nil {
		t.Fatalf("Fetch of a third Assembly after the first was forgotten = %v", err)
	}
	p.mu.Lock()
	_, kept1 := p.entries[id(1)]
	_, kept2 := p.entries[id(2)]
	p.mu.Unlock()
	if kept1 || !kept2 {
		t.Errorf("kept #1, #2 = %v, %v; want the forgotten #1 dropped and #2 kept", kept1, kept2)
	}
	clock.Advance(2 * time.Second)
	if err := fetch(4); err != nil { // nothing forgotten: the least recently used goes
		t.Fatalf("Fetch of a fourth Assembly once all are quiet = %v", err)
	}
	p.mu.Lock()
	_, kept2 = p.entries[id(2)]
	n := len(p.entries)
	p.mu.Unlock()
	if kept2 || n != 2 {
		t.Errorf("entries = %d, #2 kept = %v; want 2 entries without #2", n, kept2)
	}
}
