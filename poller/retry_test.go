package poller_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/poller"
)

// TestFetchHonoursRateLimits: every rate-limit shape is waited out — the
// server's hint when it gives one, never less than a second, plus at most
// 20% jitter — and the retry then gets the status.
func TestFetchHonoursRateLimits(t *testing.T) {
	const statusLimit = `{"error":"ASSEMBLY_STATUS_FETCHING_RATE_LIMIT_REACHED","message":"Too many status requests","http_code":429`
	clockNow := newVirtualClock().Now()
	tests := []struct {
		name     string
		first    func(w http.ResponseWriter)
		wantWait time.Duration // before jitter
	}{
		{name: "status limit, retryIn 0", first: reply(429, statusLimit+`,"info":{"retryIn":0}}`), wantWait: time.Second},
		{name: "status limit, fractional retryIn", first: reply(429, statusLimit+`,"info":{"retryIn":0.01}}`), wantWait: time.Second},
		{name: "status limit, retryIn 2.5", first: reply(429, statusLimit+`,"info":{"retryIn":2.5}}`), wantWait: 2500 * time.Millisecond},
		{name: "status limit, no info, Retry-After seconds", first: reply(429, statusLimit+`}`, "Retry-After", "3"), wantWait: 3 * time.Second},
		{name: "status limit, retryIn 0 defers to Retry-After", first: reply(429, statusLimit+`,"info":{"retryIn":0}}`, "Retry-After", "2"), wantWait: 2 * time.Second},
		{name: "Retry-After as a date", first: reply(429, statusLimit+`}`, "Retry-After", clockNow.Add(5*time.Second).Format(http.TimeFormat)), wantWait: 5 * time.Second},
		{name: "status limit code inside a 200", first: reply(200, statusLimit+`,"info":{"retryIn":1.5}}`), wantWait: 1500 * time.Millisecond},
		{name: "general limit in a 413", first: reply(413, `{"error":"RATE_LIMIT_REACHED","message":"Request limit reached","info":{"retryIn":1.5}}`), wantWait: 1500 * time.Millisecond},
		{name: "general limit in a 429, retryIn 0", first: reply(429, `{"error":"RATE_LIMIT_REACHED","message":"Request limit reached","http_code":429,"info":{"retryIn":0}}`), wantWait: time.Second},
		{name: "front proxy JSON", first: reply(429, `{"error":"429 Too Many Requests","message":"HAProxy: too many requests"}`), wantWait: time.Second},
		{name: "front proxy HTML", first: reply(429, `<html><body><h1>429 Too Many Requests</h1></body></html>`, "Content-Type", "text/html"), wantWait: time.Second},
		{name: "429 with an unknown code", first: reply(429, `{"error":"SLOW_DOWN"}`, "Retry-After", "4"), wantWait: 4 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, sequence(tt.first, reply(200, runningBody)))
			p, rec, clock := newPoller(t, up.URL, nil)
			st, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID})
			if err != nil || st.OK != transloadit.StateExecuting {
				t.Fatalf("Fetch() = %v, %v; want the running status after the wait", st, err)
			}
			if up.count() != 2 {
				t.Errorf("requests = %d; want 2", up.count())
			}
			waits := rec.Waits()
			if len(waits) != 1 {
				t.Fatalf("rate-limit waits = %v; want one", waits)
			}
			if lo, hi := tt.wantWait, tt.wantWait*6/5; waits[0] < lo || waits[0] >= hi {
				t.Errorf("rate-limit wait = %v; want in [%v, %v)", waits[0], lo, hi)
			}
			if !slices.Contains(clock.Waits(), waits[0]) {
				t.Errorf("clock waits = %v; want the rate-limit wait %v among them", clock.Waits(), waits[0])
			}
			if got, want := rec.Outcomes(), []string{poller.OutcomeRateLimited, poller.OutcomeOK}; !slices.Equal(got, want) {
				t.Errorf("outcomes = %v; want %v", got, want)
			}
		})
	}
}

// TestFetchRateLimitWaitIsReal: with real time, the server sees the retry
// no sooner than the retryIn it asked for.
func TestFetchRateLimitWaitIsReal(t *testing.T) {
	const retryIn = 1200 * time.Millisecond
	up := newUpstream(t, sequence(
		reply(429, `{"error":"ASSEMBLY_STATUS_FETCHING_RATE_LIMIT_REACHED","info":{"retryIn":1.2}}`),
		reply(200, runningBody)))
	p, _, _ := newPoller(t, up.URL, func(c *poller.Config) { c.Clock = nil })
	if _, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID}); err != nil {
		t.Fatal(err)
	}
	at := up.arrivals()
	if len(at) != 2 || at[1].Sub(at[0]) < retryIn {
		t.Errorf("arrivals = %v; want two, %v or more apart", at, retryIn)
	}
}

func TestFetchRateLimitRetriesAreBounded(t *testing.T) {
	up := newUpstream(t, sequence(reply(429, `{"error":"ASSEMBLY_STATUS_FETCHING_RATE_LIMIT_REACHED","info":{"retryIn":1}}`)))
	p, rec, _ := newPoller(t, up.URL, func(c *poller.Config) { c.MaxRetries = 2 })
	_, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID})
	if !errors.Is(err, poller.ErrRetriesExhausted) || !errors.Is(err, poller.ErrRateLimited) {
		t.Fatalf("Fetch() error = %v; want ErrRetriesExhausted wrapping a rate limit", err)
	}
	var se *retry.StatusError
	if !errors.As(err, &se) || se.RetryAfter != time.Second {
		t.Errorf("Fetch() error = %#v; want a *retry.StatusError with RetryAfter 1s", err)
	}
	if up.count() != 3 || len(rec.Waits()) != 3 {
		t.Errorf("requests = %d, waits = %v; want 3 and 3", up.count(), rec.Waits())
	}
	if !poller.IsTransient(err) {
		t.Errorf("IsTransient(%v) = false; want true", err)
	}
}

func TestFetchRateLimitWaitIsCapped(t *testing.T) {
	up := newUpstream(t, sequence(reply(429, `{"error":"RATE_LIMIT_REACHED","info":{"retryIn":86400}}`), reply(200, runningBody)))
	p, rec, _ := newPoller(t, up.URL, func(c *poller.Config) { c.MaxRetryWait = 5 * time.Second })
	if _, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID}); err != nil {
		t.Fatal(err)
	}
	if w := rec.Waits(); len(w) != 1 || w[0] != 5*time.Second {
		t.Errorf("waits = %v; want [5s]", w)
	}
}

// TestFetchRateLimitHoldsLaterFetches: the wait a rate-limit answer imposes
// also holds back the next Fetch for that Assembly.
func TestFetchRateLimitHoldsLaterFetches(t *testing.T) {
	up := newUpstream(t, sequence(reply(429, `{"error":"ASSEMBLY_STATUS_FETCHING_RATE_LIMIT_REACHED","info":{"retryIn":3}}`), reply(200, runningBody)))
	p, _, clock := newPoller(t, up.URL, func(c *poller.Config) { c.MaxRetries = -1 })
	target := poller.Target{AssemblyID: testID}
	if _, err := p.Fetch(context.Background(), target); !errors.Is(err, poller.ErrRateLimited) {
		t.Fatalf("first Fetch() error = %v; want a rate limit (no retries)", err)
	}
	before := clock.Now()
	if _, err := p.Fetch(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	if waited := clock.Now().Sub(before); waited < 3*time.Second {
		t.Errorf("second Fetch waited %v; want at least the 3s asked for", waited)
	}
}

// TestFetchTransientFailures: 5xx answers (JSON or not) and timeouts are
// retried with backoff until they pass, within MaxRetries.
func TestFetchTransientFailures(t *testing.T) {
	tests := []struct {
		name    string
		answers []func(w http.ResponseWriter)
	}{
		{name: "5xx with HTML", answers: []func(http.ResponseWriter){
			reply(502, `<html>Bad Gateway</html>`, "Content-Type", "text/html"),
			reply(503, `upstream connect error`, "Content-Type", "text/plain"),
			reply(200, runningBody)}},
		{name: "5xx with JSON", answers: []func(http.ResponseWriter){
			reply(500, `{"error":"SERVER_500","message":"oops"}`),
			reply(200, runningBody)}},
		{name: "408", answers: []func(http.ResponseWriter){reply(408, ``), reply(200, runningBody)}},
		{name: "5xx with a huge body", answers: []func(http.ResponseWriter){
			reply(503, string(make([]byte, 1<<20))), reply(200, runningBody)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, sequence(tt.answers...))
			p, rec, _ := newPoller(t, up.URL, func(c *poller.Config) { c.MaxBodyBytes = 1024 })
			st, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID})
			if err != nil || st.OK != transloadit.StateExecuting {
				t.Fatalf("Fetch() = %v, %v; want the running status", st, err)
			}
			want := make([]string, len(tt.answers)-1)
			for i := range want {
				want[i] = poller.OutcomeError
			}
			want = append(want, poller.OutcomeOK)
			if got := rec.Outcomes(); !slices.Equal(got, want) {
				t.Errorf("outcomes = %v; want %v", got, want)
			}
		})
	}
}

func TestFetchTransientRetriesAreBounded(t *testing.T) {
	up := newUpstream(t, sequence(reply(500, `{"error":"SERVER_500","message":"oops"}`)))
	p, _, _ := newPoller(t, up.URL, nil) // MaxRetries 3
	_, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID})
	var se *retry.StatusError
	if !errors.Is(err, poller.ErrRetriesExhausted) || !errors.As(err, &se) || se.Code != 500 || se.TransloaditCode != "SERVER_500" {
		t.Fatalf("Fetch() error = %v; want ErrRetriesExhausted wrapping HTTP 500 SERVER_500", err)
	}
	if up.count() != 4 {
		t.Errorf("requests = %d; want 4 (1 + MaxRetries)", up.count())
	}
}

func TestFetchNoRetries(t *testing.T) {
	up := newUpstream(t, sequence(reply(503, `busy`)))
	p, _, _ := newPoller(t, up.URL, func(c *poller.Config) { c.MaxRetries = -1 })
	if _, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID}); !errors.Is(err, poller.ErrRetriesExhausted) {
		t.Fatalf("Fetch() error = %v; want ErrRetriesExhausted", err)
	}
	if up.count() != 1 {
		t.Errorf("requests = %d; want 1", up.count())
	}
}

// TestFetchAttemptTimeout: an answer that never comes is cut off by
// RequestTimeout and retried.
func TestFetchAttemptTimeout(t *testing.T) {
	up := newUpstream(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			<-r.Context().Done()
			return
		}
		reply(200, runningBody)(w)
	})
	// Long enough that a loaded machine answers the second attempt in time.
	p, rec, _ := newPoller(t, up.URL, func(c *poller.Config) { c.RequestTimeout = time.Second })
	st, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID})
	if err != nil || st.OK != transloadit.StateExecuting {
		t.Fatalf("Fetch() = %v, %v; want the running status", st, err)
	}
	if got, want := rec.Outcomes(), []string{poller.OutcomeError, poller.OutcomeOK}; !slices.Equal(got, want) {
		t.Errorf("outcomes = %v; want %v", got, want)
	}
}

// TestFetchContextCancel: a cancelled context ends Fetch mid-request with
// the context's error.
func TestFetchContextCancel(t *testing.T) {
	arrived := make(chan struct{})
	up := newUpstream(t, func(n int, w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	})
	p, _, _ := newPoller(t, up.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	if _, err := p.Fetch(ctx, poller.Target{AssemblyID: testID}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch() error = %v; want context.Canceled", err)
	}
	if up.count() != 1 {
		t.Errorf("requests = %d; want 1", up.count())
	}
}
