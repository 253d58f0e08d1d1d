package poller

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// resultsServer answers every status request with a completed status of
// two results, k and u.
func resultsServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		fmt.Fprintf(w, `{"ok":"ASSEMBLY_COMPLETED","assembly_id":%q,"results":{"s":[`+
			`{"id":"k","name":"k.jpg","size":1},{"id":"u","name":"u.jpg","size":2}]}}`, coalesceID)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func knowsK(step, id string) bool { return step == "s" && id == "k" }

// TestFetchKnown: the results Known reports come back holding only their
// ID; the others in full.
func TestFetchKnown(t *testing.T) {
	srv, _ := resultsServer(t)
	p, _ := newManualPoller(t, srv.URL)
	st, err := p.Fetch(context.Background(), Target{AssemblyID: coalesceID, Known: knowsK})
	if err != nil {
		t.Fatal(err)
	}
	want := []transloadit.File{{ID: "k"}, {ID: "u", Name: "u.jpg", Size: 2}}
	if got := st.Results.Get("s"); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %+v; want %+v", got, want)
	}
}

// TestFetchKnownNotShared: a caller that joins a fetch made with Known
// does not get that status, whose results are the leader's to leave out,
// but one of its own.
func TestFetchKnownNotShared(t *testing.T) {
	srv, requests := resultsServer(t)
	p, clock := newManualPoller(t, srv.URL)
	ctx := context.Background()
	if _, err := p.Fetch(ctx, Target{AssemblyID: coalesceID}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	leader, joiner := make(chan fetchResult, 1), make(chan fetchResult, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		st, err := p.Fetch(ctx, Target{AssemblyID: coalesceID, Known: knowsK})
		leader <- fetchResult{st, err}
	}()
	waitFor(t, "the leader to wait on the limiter", func() bool {
		return clock.Pending(time.Hour) == 1 && p.waiters(coalesceID) == 0
	})
	goFetch(ctx, p, &wg, joiner)
	waitFor(t, "the second caller to join", func() bool { return p.waiters(coalesceID) == 1 })
	clock.Advance(time.Second)
	r := <-leader
	if r.err != nil || !reflect.DeepEqual(r.st.Results.Get("s")[0], transloadit.File{ID: "k"}) {
		t.Fatalf("leader's Fetch = %+v, %v; want k as its id alone", r.st, r.err)
	}
	waitFor(t, "the second caller to wait on the limiter for its own request", func() bool {
		return clock.Pending(time.Hour) == 1
	})
	clock.Advance(time.Second)
	wg.Wait()
	r = <-joiner
	if r.err != nil || r.st.Results.Get("s")[0].Name != "k.jpg" {
		t.Fatalf("joiner's Fetch = %+v, %v; want k in full", r.st, r.err)
	}
	if got := requests.Load(); got != 3 {
		t.Errorf("requests = %d; want 3 (one before, the leader's, the joiner's)", got)
	}
}
