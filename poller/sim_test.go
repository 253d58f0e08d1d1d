package poller_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/poller"
)

// newSim starts a simulator for the test.
func newSim(t *testing.T, opts ...transloadittest.Option) *transloadittest.Server {
	t.Helper()
	srv := transloadittest.NewServer(append([]transloadittest.Option{transloadittest.WithLogf(t.Logf)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

// simPoller returns a Poller aimed at srv in real time; mod adjusts the
// Config.
// follow fetches the Assembly's status every pollEvery, handing each to
// fn, until fn returns false; it keeps going after transient errors, as
// a watch does, and returns any other.
func follow(ctx context.Context, p *poller.Poller, tgt poller.Target, fn func(*transloadit.Status) (more bool)) error {
	const pollEvery = 100 * time.Millisecond
	for {
		st, err := p.Fetch(ctx, tgt)
		switch {
		case err != nil && !poller.IsTransient(err):
			return err
		case err == nil && !fn(st):
			return nil
		}
		if !retry.Sleep(ctx, retry.SystemClock(), pollEvery) {
			return ctx.Err()
		}
	}
}

func simPoller(t *testing.T, srv *transloadittest.Server, mod func(*poller.Config)) (*poller.Poller, *recorder) {
	t.Helper()
	rec := &recorder{}
	cfg := poller.Config{
		APIBase:         srv.URL,
		AllowList:       srv.AllowList(),
		HTTPClient:      srv.Client(),
		RequestTimeout:  5 * time.Second,
		MinBackoff:      50 * time.Millisecond,
		MaxBackoff:      500 * time.Millisecond,
		Logger:          zaptest.NewLogger(t),
		OnRequest:       rec.onRequest,
		OnRateLimitWait: rec.onWait,
	}
	if mod != nil {
		mod(&cfg)
	}
	p, err := poller.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p, rec
}

func create(t *testing.T, srv *transloadittest.Server, sc transloadittest.Script) *transloadit.Status {
	t.Helper()
	st, err := srv.Create(context.Background(), sc)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return st
}

// hostRecorder passes every status request through and notes its host.
type hostRecorder struct {
	mu    sync.Mutex // guards hosts
	hosts []string
}

func (h *hostRecorder) hook(_ string, r *http.Request) (int, []byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hosts = append(h.hosts, "http://"+r.Host)
	return 0, nil, false
}

func (h *hostRecorder) Hosts() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.hosts)
}

// TestSimMachineDownFallsBack: statuses come from the machine host while
// it is up; once it goes down they come from the base, and stay there.
func TestSimMachineDownFallsBack(t *testing.T) {
	srv := newSim(t)
	var hosts hostRecorder
	srv.SetOnStatus(hosts.hook)
	st := create(t, srv, transloadittest.Script{})
	p, _ := simPoller(t, srv, nil)
	target := poller.Target{AssemblyID: st.AssemblyID, StatusURL: st.AssemblySSLURL}
	fetch := func(step string) {
		t.Helper()
		got, err := p.Fetch(context.Background(), target)
		if err != nil || got.AssemblyID != st.AssemblyID {
			t.Fatalf("%s: Fetch() = %v, %v; want the Assembly's status", step, got, err)
		}
	}
	fetch("machine up")
	srv.SetMachineDown(true)
	fetch("machine down")
	fetch("machine still down")
	srv.SetMachineDown(false)
	fetch("machine back")
	want := []string{srv.MachineURL, srv.URL, srv.URL, srv.URL}
	if got := hosts.Hosts(); !slices.Equal(got, want) {
		t.Errorf("hosts asked = %v; want %v", got, want)
	}
}

// TestSimHammer: twenty callers hammering Fetch for one Assembly for three
// seconds never put more than 3 requests for it into any second on the
// simulator's clock, and never get a 429 — at the default pace and at the
// highest one allowed, side by side.
func TestSimHammer(t *testing.T) {
	srv := newSim(t)
	var wg sync.WaitGroup
	ids := map[string]float64{}
	for _, rps := range []float64{poller.DefaultMaxRPS, poller.MaxMaxRPS} {
		st := create(t, srv, transloadittest.Script{Tick: 200 * time.Millisecond})
		ids[st.AssemblyID] = rps
		p, _ := simPoller(t, srv, func(c *poller.Config) { c.MaxRPS = rps })
		target := poller.Target{AssemblyID: st.AssemblyID, StatusURL: st.AssemblySSLURL}
		wg.Add(1)
		go func() {
			defer wg.Done()
			hammer(t, p, target, 20, 3*time.Second)
		}()
	}
	wg.Wait()
	for id, rps := range ids {
		if got := srv.MaxStatusRequestsInWindow(id, time.Second); got > 3 {
			t.Errorf("MaxRPS %v: most status requests in one second = %d; want at most 3", rps, got)
		}
		if n := len(srv.StatusRequests(id)); n < 2 {
			t.Errorf("MaxRPS %v: status requests = %d; want the callers served repeatedly", rps, n)
		}
	}
	if c := srv.Counters(); c.RateLimited != 0 {
		t.Errorf("simulator answered %d requests with 429; want 0", c.RateLimited)
	}
}

// TestSimRateLimitAnswersAreWaitedOut: rate-limit answers forced through
// OnStatus are honoured: the simulator sees the retry no sooner than the
// answer asked for.
func TestSimRateLimitAnswersAreWaitedOut(t *testing.T) {
	srv := newSim(t)
	tests := []struct {
		name string
		code int
		body string
		want time.Duration
	}{
		{"status limit", 429, `{"error":"ASSEMBLY_STATUS_FETCHING_RATE_LIMIT_REACHED","message":"slow down","info":{"retryIn":1.5}}`, 1500 * time.Millisecond},
		{"general limit as 413", 413, `{"error":"RATE_LIMIT_REACHED","message":"Request limit reached","info":{"retryIn":1.2}}`, 1200 * time.Millisecond},
		{"front proxy", 429, `{"error":"429 Too Many Requests","message":"HAProxy"}`, time.Second},
	}
	answers := map[string]int{} // Assembly ID → index into tests
	var answered sync.Map       // Assembly ID → struct{}: the forced answer was given
	srv.SetOnStatus(func(id string, _ *http.Request) (int, []byte, bool) {
		i, ok := answers[id]
		if _, done := answered.LoadOrStore(id, struct{}{}); !ok || done {
			return 0, nil, false
		}
		return tests[i].code, []byte(tests[i].body), true
	})
	targets := make([]poller.Target, len(tests))
	for i := range tests {
		st := create(t, srv, transloadittest.Script{})
		answers[st.AssemblyID] = i
		targets[i] = poller.Target{AssemblyID: st.AssemblyID, StatusURL: st.AssemblySSLURL}
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, rec := simPoller(t, srv, nil)
			st, err := p.Fetch(context.Background(), targets[i])
			if err != nil || st.AssemblyID != targets[i].AssemblyID {
				t.Fatalf("Fetch() = %v, %v; want the status after the wait", st, err)
			}
			at := srv.StatusRequests(targets[i].AssemblyID)
			if len(at) != 2 || at[1].Sub(at[0]) < tt.want {
				t.Errorf("status requests at %v; want two, %v or more apart", at, tt.want)
			}
			if w := rec.Waits(); len(w) != 1 || w[0] < tt.want || w[0] >= tt.want*6/5 {
				t.Errorf("rate-limit waits = %v; want one in [%v, %v)", w, tt.want, tt.want*6/5)
			}
		})
	}
}

// TestSimOwnRateLimit: the simulator's own 429 (another client used up the
// Assembly's allowance) is waited out as its retryIn says. Both sides run
// on virtual time: the wait the Poller starts moves the simulator's clock.
func TestSimOwnRateLimit(t *testing.T) {
	var offset atomic.Int64
	base := time.Now()
	srv := newSim(t, transloadittest.WithClock(func() time.Time { return base.Add(time.Duration(offset.Load())) }))
	st := create(t, srv, transloadittest.Script{})
	for i := 0; i < 3; i++ { // another client uses the allowance up
		resp, err := srv.Client().Get(transloadit.StatusURL(srv.URL, st.AssemblyID))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var waits []time.Duration
	p, rec := simPoller(t, srv, func(c *poller.Config) {
		c.Clock = newVirtualClock()
		c.OnRateLimitWait = func(d time.Duration) {
			waits = append(waits, d)
			offset.Add(int64(d))
		}
	})
	got, err := p.Fetch(context.Background(), poller.Target{AssemblyID: st.AssemblyID, StatusURL: st.AssemblySSLURL})
	if err != nil || got.AssemblyID != st.AssemblyID {
		t.Fatalf("Fetch() = %v, %v; want the status after the wait", got, err)
	}
	if c := srv.Counters(); c.RateLimited != 1 {
		t.Errorf("simulator 429s = %d; want 1", c.RateLimited)
	}
	if len(waits) != 1 || waits[0] < time.Second {
		t.Errorf("waits = %v; want one of at least the simulator's retryIn (just over 0s, floored to 1s)", waits)
	}
	if o := rec.Outcomes(); !slices.Equal(o, []string{poller.OutcomeRateLimited, poller.OutcomeOK}) {
		t.Errorf("outcomes = %v; want [rate_limited ok]", o)
	}
}

// TestSimPollToTheEnd: Poll follows Assemblies to their terminal status,
// whatever shape and HTTP code it is served with.
func TestSimPollToTheEnd(t *testing.T) {
	srv := newSim(t)
	tests := []struct {
		name     string
		script   transloadittest.Script
		want     transloadit.Outcome
		wantCode string
	}{
		{"completed", transloadittest.Script{}, transloadit.OutcomeCompleted, ""},
		{"failed, served with 500", transloadittest.Script{FailStep: "resized"}, transloadit.OutcomeFailed, transloadit.CodeInternalCommandErr},
		{"failed, served with 400", transloadittest.Script{FailStep: "resized", FailCode: "FILE_FILTER_DECLINED_FILE", FailHTTPCode: 400}, transloadit.OutcomeFailed, "FILE_FILTER_DECLINED_FILE"},
		{"failed, error in 200 with ok null", transloadittest.Script{FailStep: "resized", Awkward: transloadittest.Awkward{ErrorIn200OKNull: true}}, transloadit.OutcomeFailed, transloadit.CodeInternalCommandErr},
		{"failed, error in 200 without ok", transloadittest.Script{FailStep: "resized", Awkward: transloadittest.Awkward{ErrorNoOK: true}}, transloadit.OutcomeFailed, transloadit.CodeInternalCommandErr},
		{"system error", transloadittest.Script{Awkward: transloadittest.Awkward{SystemError: true}}, transloadit.OutcomeFailed, ""},
		{"canceled", transloadittest.Script{CancelAfterResults: 1}, transloadit.OutcomeCanceled, ""},
		{"aborted", transloadittest.Script{AbortUpload: true}, transloadit.OutcomeAborted, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := create(t, srv, tt.script)
			p, _ := simPoller(t, srv, nil)
			var last *transloadit.Status
			polls := 0
			err := follow(context.Background(), p, poller.Target{AssemblyID: st.AssemblyID, StatusURL: st.AssemblySSLURL},
				func(s *transloadit.Status) bool {
					last = s
					polls++
					return !s.Terminal()
				})
			if err != nil {
				t.Fatalf("follow() = %v after %d statuses; want nil", err, polls)
			}
			if got := last.Outcome(); got != tt.want || last.Error != tt.wantCode {
				t.Errorf("last status = %v/%q; want %v/%q", got, last.Error, tt.want, tt.wantCode)
			}
			if n := srv.MaxStatusRequestsInWindow(st.AssemblyID, time.Second); n > 3 {
				t.Errorf("most status requests in one second = %d; want at most 3", n)
			}
		})
	}
	t.Cleanup(func() {
		if c := srv.Counters(); c.RateLimited != 0 {
			t.Errorf("simulator 429s = %d; want 0", c.RateLimited)
		}
	})
}

// TestSimPollThroughFaults: injected 5xx answers and truncated bodies
// cost retries, not the watch: Poll still follows the Assembly to its end.
func TestSimPollThroughFaults(t *testing.T) {
	srv := newSim(t)
	st := create(t, srv, transloadittest.Script{})
	id := st.AssemblyID
	if err := srv.Pause(id); err != nil {
		t.Fatal(err)
	}
	setFaults := func(f transloadittest.Faults) {
		if err := srv.SetAssemblyFaults(id, f); err != nil {
			t.Fatal(err)
		}
	}
	setFaults(transloadittest.Faults{Status5xxRatio: 1})
	p, rec := simPoller(t, srv, nil)
	var last *transloadit.Status
	done := make(chan error, 1)
	go func() {
		done <- follow(context.Background(), p, poller.Target{AssemblyID: id, StatusURL: st.AssemblySSLURL},
			func(s *transloadit.Status) bool {
				last = s
				return !s.Terminal()
			})
	}()
	eventually(t, "5xx answers", func() bool { return srv.Counters().Injected5xx >= 2 })
	setFaults(transloadittest.Faults{MalformedRatio: 1})
	eventually(t, "malformed answers", func() bool { return srv.Counters().InjectedMalformed >= 2 })
	setFaults(transloadittest.Faults{})
	if err := srv.Resume(id); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil || last.Outcome() != transloadit.OutcomeCompleted {
		t.Fatalf("follow() = %v with last status %+v; want nil after completion", err, last)
	}
	if !slices.Contains(rec.Outcomes(), poller.OutcomeError) {
		t.Errorf("outcomes = %v; want errors among them", rec.Outcomes())
	}
	c := srv.Counters()
	if n := srv.MaxStatusRequestsInWindow(id, time.Second); n > 3 || c.RateLimited != 0 {
		t.Errorf("most status requests in one second = %d, 429s = %d; want at most 3 and none", n, c.RateLimited)
	}
}

// TestSimUnknownAssembly: an ID neither host knows is ErrAssemblyNotFound,
// after asking each host once.
func TestSimUnknownAssembly(t *testing.T) {
	srv := newSim(t)
	p, rec := simPoller(t, srv, nil)
	_, err := p.Fetch(context.Background(), poller.Target{AssemblyID: otherID, StatusURL: transloadit.StatusURL(srv.MachineURL, otherID)})
	if !errors.Is(err, poller.ErrAssemblyNotFound) {
		t.Fatalf("Fetch() = %v; want ErrAssemblyNotFound", err)
	}
	if got := len(srv.StatusRequests(otherID)); got != 2 {
		t.Errorf("status requests = %d; want 2 (machine, then base)", got)
	}
	if o := rec.Outcomes(); !slices.Equal(o, []string{poller.OutcomeNotFound, poller.OutcomeNotFound}) {
		t.Errorf("outcomes = %v; want two not_found", o)
	}
}
