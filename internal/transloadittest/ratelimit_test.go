package transloadittest_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

// fakeClock is a settable clock for the rate limit window.
type fakeClock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// TestRateLimit sends status GETs at chosen instants and checks which are
// refused: a 4th request inside any sliding second is, a 3rd never.
func TestRateLimit(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name string
		at   []time.Duration
		want []int
	}{
		{"three in a second pass", []time.Duration{0, ms(300), ms(600)}, []int{200, 200, 200}},
		{"fourth in a second is refused", []time.Duration{0, ms(300), ms(600), ms(900)}, []int{200, 200, 200, 429}},
		{"three per second forever pass", []time.Duration{0, ms(400), ms(800), ms(1200), ms(1600), ms(2000), ms(2400)}, []int{200, 200, 200, 200, 200, 200, 200}},
		{"burst of four", []time.Duration{0, 0, 0, 0}, []int{200, 200, 200, 429}},
		{"window slides", []time.Duration{0, 0, 0, ms(1000), ms(1000), ms(1000), ms(1999)}, []int{200, 200, 200, 200, 200, 200, 429}},
		// Had the refused request at +300ms not counted, +1050ms would pass.
		{"refused requests count", []time.Duration{0, ms(100), ms(200), ms(300), ms(1050), ms(1301)}, []int{200, 200, 200, 429, 429, 200}},
	}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: start}
			srv := newServer(t, transloadittest.WithClock(clock.Now))
			created := mustCreate(t, srv, transloadittest.Script{})
			urls := []string{created.AssemblySSLURL, transloadit.StatusURL(srv.URL, created.AssemblyID)}
			for i, at := range tt.at {
				clock.Set(start.Add(at))
				// Alternate hosts: the limit is per Assembly, not per host.
				code, body, h := get(t, srv, urls[i%2])
				if code != tt.want[i] {
					t.Fatalf("request %d at +%v = %d %s; want %d", i, at, code, body, tt.want[i])
				}
				if code == http.StatusTooManyRequests {
					checkRateLimitBody(t, body, h)
				}
			}
			if got, want := srv.MaxStatusRequestsInWindow(created.AssemblyID, time.Second), maxWant(tt.at); got != want {
				t.Errorf("MaxStatusRequestsInWindow = %d; want %d", got, want)
			}
			if got := len(srv.StatusRequests(created.AssemblyID)); got != len(tt.at) {
				t.Errorf("StatusRequests has %d entries; want %d", got, len(tt.at))
			}
		})
	}
}

func maxWant(at []time.Duration) int {
	best := 0
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j]-at[i] < time.Second; j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}

func checkRateLimitBody(t *testing.T, body []byte, h http.Header) {
	t.Helper()
	st := decode(t, body)
	if st.Error != transloadit.CodeStatusRateLimit || st.Outcome() != transloadit.OutcomeRateLimited {
		t.Errorf("429 body error = %q", st.Error)
	}
	if st.Info == nil || st.Info.RetryIn <= 0 || st.Info.RetryIn > 1 {
		t.Errorf("info = %+v; want retryIn in (0, 1]", st.Info)
	}
	if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After = %q; want whole seconds >= 1", h.Get("Retry-After"))
	}
}

// TestRateLimitRetryIn waits exactly info.retryIn and is let through.
func TestRateLimitRetryIn(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := &fakeClock{now: start}
	srv := newServer(t, transloadittest.WithClock(clock.Now))
	id := mustCreate(t, srv, transloadittest.Script{}).AssemblyID
	u := srv.URL + "/assemblies/" + id
	for _, at := range []time.Duration{0, 300 * time.Millisecond, 600 * time.Millisecond} {
		clock.Set(start.Add(at))
		if code, _, _ := get(t, srv, u); code != 200 {
			t.Fatalf("GET at +%v = %d", at, code)
		}
	}
	now := start.Add(900 * time.Millisecond)
	clock.Set(now)
	code, body, _ := get(t, srv, u)
	if code != http.StatusTooManyRequests {
		t.Fatalf("4th GET = %d", code)
	}
	retry := decode(t, body).APIError().RetryAfter()
	// The 2nd request (at +300ms) leaves the window at +1.3s.
	if retry != 400*time.Millisecond {
		t.Errorf("retryIn = %v; want 400ms", retry)
	}
	clock.Set(now.Add(retry))
	if code, body, _ := get(t, srv, u); code != http.StatusOK {
		t.Errorf("GET after retryIn = %d %s; want 200", code, body)
	}
	other := mustCreate(t, srv, transloadittest.Script{}).AssemblyID
	if code, _, _ := get(t, srv, srv.URL+"/assemblies/"+other); code != http.StatusOK {
		t.Errorf("another Assembly's GET = %d; the limit is per Assembly", code)
	}
	if c := srv.Counters(); c.RateLimited != 1 || c.StatusRequests != 6 {
		t.Errorf("counters %+v; want 1 rate limited of 6", c)
	}
}

func TestStatusNotFound(t *testing.T) {
	srv := newServer(t)
	for _, id := range []string{"0123456789abcdef0123456789abcdef", "not-an-id"} {
		code, body, _ := get(t, srv, srv.URL+"/assemblies/"+id)
		if code != http.StatusNotFound {
			t.Errorf("GET %s = %d; want 404", id, code)
			continue
		}
		st := decode(t, body)
		if !transloadit.IsNotFoundCode(st.Error) || st.HTTPCode != 404 {
			t.Errorf("GET %s body = %s; want ASSEMBLY_NOT_FOUND", id, body)
		}
	}
	if got := srv.Counters().NotFound; got != 2 {
		t.Errorf("Counters().NotFound = %d; want 2", got)
	}
}
