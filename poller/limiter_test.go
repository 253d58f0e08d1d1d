package poller

import (
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestHistoryEarliest(t *testing.T) {
	const spacing = 400 * time.Millisecond
	// run records requests as (start, end) offsets from t0, in ms.
	run := func(reqs ...[2]int) *history {
		h := &history{}
		for _, r := range reqs {
			h.start(t0.Add(ms(r[0])))
			h.end(t0.Add(ms(r[1])), 1)
		}
		return h
	}
	tests := []struct {
		name string
		in   *history
		want time.Time
	}{
		{name: "no request yet", in: &history{}, want: time.Time{}},
		{name: "one request: the pace", in: run([2]int{0, 10}), want: t0.Add(ms(400))},
		{name: "fast requests: the pace wins", in: run([2]int{0, 10}, [2]int{400, 410}, [2]int{800, 810}), want: t0.Add(ms(1200))},
		{name: "slow oldest request: the window wins", in: run([2]int{0, 390}, [2]int{400, 410}, [2]int{800, 810}), want: t0.Add(ms(390 + 1100))},
		{name: "the window slides", in: run([2]int{0, 10}, [2]int{400, 900}, [2]int{1200, 1210}, [2]int{1600, 1610}), want: t0.Add(ms(900 + 1100))},
		{name: "a rate-limit penalty", in: func() *history { h := run([2]int{0, 10}); h.penalize(t0.Add(5 * time.Second)); return h }(), want: t0.Add(5 * time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.earliest(spacing); !got.Equal(tt.want) {
				t.Errorf("earliest(%v) = %v; want %v", spacing, got.Sub(t0), tt.want.Sub(t0))
			}
		})
	}
}

// TestHistoryNeverAllowsFourInAWindow drives the limiter with random
// request durations and arrival points and checks the server's view: no
// four arrivals inside any window of a second, at the highest pace allowed.
func TestHistoryNeverAllowsFourInAWindow(t *testing.T) {
	spacing := time.Duration(float64(time.Second) / MaxMaxRPS)
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		h := &history{}
		now := t0
		var arrivals []time.Time
		for i := 0; i < 50; i++ {
			now = later(now, h.earliest(spacing))
			h.start(now)
			dur := time.Duration(rng.Int64N(int64(900 * time.Millisecond)))
			// The server stamps the request anywhere between start and end.
			arrivals = append(arrivals, now.Add(time.Duration(rng.Float64()*float64(dur))))
			now = now.Add(dur)
			h.end(now, 1)
			now = now.Add(time.Duration(rng.Int64N(int64(300 * time.Millisecond))))
		}
		for i := 3; i < len(arrivals); i++ {
			if d := arrivals[i].Sub(arrivals[i-3]); d <= time.Second {
				t.Fatalf("trial %d: arrivals %d and %d only %v apart", trial, i-3, i, d)
			}
		}
	}
}

func TestHistoryQuiet(t *testing.T) {
	h := &history{}
	h.start(t0)
	if h.quiet(t0.Add(time.Hour)) {
		t.Error("quiet with a request in flight = true; want false")
	}
	h.end(t0.Add(ms(10)), 1)
	if h.quiet(t0.Add(ms(500))) {
		t.Error("quiet half a second after a request = true; want false")
	}
	if !h.quiet(t0.Add(2 * time.Second)) {
		t.Error("quiet two seconds after a request = false; want true")
	}
	h.penalize(t0.Add(time.Minute))
	if h.quiet(t0.Add(2 * time.Second)) {
		t.Error("quiet under a rate-limit penalty = true; want false")
	}
}

func TestRateLimitWait(t *testing.T) {
	tests := []struct {
		hint     time.Duration
		rnd      float64
		max      time.Duration
		want     time.Duration
		wantNote string
	}{
		{0, 0, time.Minute, time.Second, "floor"},
		{10 * time.Millisecond, 0, time.Minute, time.Second, "floor over a fractional hint"},
		{0, 0.5, time.Minute, 1100 * time.Millisecond, "jitter"},
		{2500 * time.Millisecond, 0, time.Minute, 2500 * time.Millisecond, "hint"},
		{2500 * time.Millisecond, 0.5, time.Minute, 2750 * time.Millisecond, "hint plus jitter"},
		{time.Hour, 0, time.Minute, time.Minute, "cap"},
	}
	for _, tt := range tests {
		if got := rateLimitWait(tt.hint, tt.rnd, tt.max); got != tt.want {
			t.Errorf("rateLimitWait(%v, %v, %v) = %v; want %v (%s)", tt.hint, tt.rnd, tt.max, got, tt.want, tt.wantNote)
		}
	}
}

func TestRetryHint(t *testing.T) {
	tests := []struct {
		retryIn    float64
		retryAfter string
		want       time.Duration
	}{
		{0, "", 0},
		{0.01, "", 10 * time.Millisecond},
		{2.5, "7", 2500 * time.Millisecond},
		{0, "3", 3 * time.Second},
		{-1, "1.5", 1500 * time.Millisecond},
		{0, " 2 ", 2 * time.Second},
		{0, t0.Add(4 * time.Second).Format("Mon, 02 Jan 2006 15:04:05 GMT"), 4 * time.Second},
		{0, t0.Add(-4 * time.Second).Format("Mon, 02 Jan 2006 15:04:05 GMT"), 0},
		{0, "soon", 0},
		{0, "-5", 0},
		{0, "NaN", 0},
		{1e300, "", 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := retryHint(tt.retryIn, tt.retryAfter, t0); got != tt.want {
			t.Errorf("retryHint(%v, %q) = %v; want %v", tt.retryIn, tt.retryAfter, got, tt.want)
		}
	}
}

// A request the transport wrote twice (a retry on a dead keep-alive
// connection) counts twice: two more requests may not follow within the
// window.
func TestHistoryCountsEveryArrival(t *testing.T) {
	h := &history{}
	h.start(t0)
	h.end(t0.Add(ms(10)), 1)
	h.start(t0.Add(ms(400)))
	h.end(t0.Add(ms(410)), 2) // written twice
	want := t0.Add(ms(10)).Add(upstreamWindow + windowMargin)
	if got := h.earliest(0); !got.Equal(want) {
		t.Errorf("earliest after 3 arrivals = %v; want %v (a window after the first)", got.Sub(t0), want.Sub(t0))
	}
}
