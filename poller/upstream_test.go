package poller_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/poller"
)

const (
	testID  = "7828446e5acd4aa996dce3455ec914e9"
	otherID = "0123456789abcdef0123456789abcdef"
)

var (
	runningBody   = `{"ok":"ASSEMBLY_EXECUTING","assembly_id":"` + testID + `"}`
	completedBody = `{"ok":"ASSEMBLY_COMPLETED","assembly_id":"` + testID + `"}`
)

func seedStatus(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../internal/transloadit/testdata/seed-status.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// virtualClock is a Clock whose waits return at once and move its time
// forward by the wait; it records every wait. Use it where the waits
// themselves are under test, or only slow a test down.
type virtualClock struct {
	mu    sync.Mutex // guards now and waits
	now   time.Time
	waits []time.Duration
}

func newVirtualClock() *virtualClock {
	return &virtualClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) NewTimer(d time.Duration) retry.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return firedTimer(ch)
}

// AfterFunc runs f at once, having moved time on by d, as NewTimer does.
func (c *virtualClock) AfterFunc(d time.Duration, f func()) retry.Timer {
	t := c.NewTimer(d)
	go f()
	return t
}

func (c *virtualClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

type firedTimer chan time.Time

func (t firedTimer) C() <-chan time.Time { return t }
func (t firedTimer) Stop() bool          { return false }

// upstream is a status endpoint whose answers a test scripts; it records
// every request it receives.
type upstream struct {
	*httptest.Server
	mu      sync.Mutex // guards reqs
	reqs    []*http.Request
	arrived []time.Time
}

// newUpstream serves answer(n, w, r) for the n-th request (from 0).
func newUpstream(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		n := len(u.reqs)
		u.reqs = append(u.reqs, r)
		u.arrived = append(u.arrived, time.Now())
		u.mu.Unlock()
		answer(n, w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

// sequence answers the n-th request with answers[n], and the last one
// after that.
func sequence(answers ...func(w http.ResponseWriter)) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, _ *http.Request) {
		answers[min(n, len(answers)-1)](w)
	}
}

// reply answers with code and body; headers come in name, value pairs.
func reply(code int, body string, headers ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.reqs)
}

func (u *upstream) arrivals() []time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]time.Time(nil), u.arrived...)
}

func (u *upstream) request(n int) *http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.reqs[n]
}

func (u *upstream) statusURL(id string) string { return transloadit.StatusURL(u.URL, id) }

// loopbackAllowList admits the test servers, which speak plain http.
var loopbackAllowList = transloadit.AllowList{HostSuffixes: []string{"127.0.0.1"}, AllowHTTP: true}

// recorder collects what the Config hooks report.
type recorder struct {
	mu       sync.Mutex // guards outcomes and waits
	outcomes []string
	waits    []time.Duration
}

func (r *recorder) onRequest(o string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes = append(r.outcomes, o)
}

func (r *recorder) onWait(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
}

func (r *recorder) Outcomes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.outcomes...)
}

func (r *recorder) Waits() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.waits...)
}

// newPoller returns a Poller on base with virtual time, short backoffs and
// hooks feeding a recorder; mod adjusts the Config.
func newPoller(t *testing.T, base string, mod func(*poller.Config)) (*poller.Poller, *recorder, *virtualClock) {
	t.Helper()
	rec := &recorder{}
	clock := newVirtualClock()
	cfg := poller.Config{
		APIBase:         base,
		AllowList:       loopbackAllowList,
		Clock:           clock,
		MinBackoff:      100 * time.Millisecond,
		MaxBackoff:      time.Second,
		MaxRetries:      3,
		RequestTimeout:  5 * time.Second,
		Logger:          zaptest.NewLogger(t),
		OnRequest:       rec.onRequest,
		OnRateLimitWait: rec.onWait,
	}
	if mod != nil {
		mod(&cfg)
	}
	p, err := poller.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p, rec, clock
}

// maxInWindow returns the most arrivals inside any window of length w.
func maxInWindow(ts []time.Time, w time.Duration) int {
	best := 0
	for i := range ts {
		n := 0
		for j := i; j < len(ts) && ts[j].Sub(ts[i]) <= w; j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}

// eventually polls cond until it holds; the deadline only guards against
// a hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
