package poller_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/poller"
)

// closedURL returns a loopback status URL on which nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return transloadit.StatusURL("http://"+addr, testID)
}

// TestFetchFallsBackFromMachineHost: when the machine host fails, the
// status comes from APIBase, and later fetches go straight there.
func TestFetchFallsBackFromMachineHost(t *testing.T) {
	tests := []struct {
		name    string
		machine func(n int, w http.ResponseWriter, r *http.Request) // nil: nothing listens
		client  *http.Client
	}{
		{name: "connection refused"},
		{name: "5xx", machine: sequence(reply(503, `no healthy upstream`, "Content-Type", "text/plain"))},
		{name: "404 without a code", machine: sequence(reply(404, `Not Found`, "Content-Type", "text/plain"))},
		{name: "unknown route", machine: sequence(reply(404, `{"error":"SERVER_404","message":"unknown method / url"}`))},
		{name: "assembly not found on the machine", machine: sequence(reply(404, `{"error":"ASSEMBLY_NOT_FOUND"}`))},
		{name: "redirect", machine: sequence(reply(302, ``, "Location", "https://example.com/"))},
		{name: "timeout", machine: func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := newUpstream(t, sequence(reply(200, runningBody)))
			statusURL := closedURL(t)
			var machine *upstream
			if tt.machine != nil {
				machine = newUpstream(t, tt.machine)
				statusURL = machine.statusURL(testID)
			}
			p, _, _ := newPoller(t, base.URL, func(c *poller.Config) { c.RequestTimeout = 100 * time.Millisecond })
			target := poller.Target{AssemblyID: testID, StatusURL: statusURL}
			for i := 1; i <= 2; i++ {
				st, err := p.Fetch(context.Background(), target)
				if err != nil || st.OK != transloadit.StateExecuting {
					t.Fatalf("Fetch #%d = %v, %v; want the running status from the base", i, st, err)
				}
				if base.count() != i {
					t.Errorf("after Fetch #%d: base requests = %d; want %d", i, base.count(), i)
				}
				if machine != nil && machine.count() != 1 {
					t.Errorf("after Fetch #%d: machine requests = %d; want 1", i, machine.count())
				}
			}
		})
	}
}

// TestFetchUnresolvableMachineHost: a machine host that no longer resolves
// falls back too. The client's resolver reports the name unknown, as DNS
// does for a recycled machine.
func TestFetchUnresolvableMachineHost(t *testing.T) {
	base := newUpstream(t, sequence(reply(200, runningBody)))
	tr := http.DefaultTransport.(*http.Transport).Clone()
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		if net.ParseIP(host) == nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
		}
		return dial(ctx, network, addr)
	}
	t.Cleanup(tr.CloseIdleConnections)
	allow := transloadit.AllowList{HostSuffixes: []string{"127.0.0.1", "transloadit.com"}, AllowHTTP: true}
	p, _, _ := newPoller(t, base.URL, func(c *poller.Config) {
		c.HTTPClient = &http.Client{Transport: tr}
		c.AllowList = allow
	})
	target := poller.Target{AssemblyID: testID, StatusURL: "https://api2-recycled.transloadit.com/assemblies/" + testID}
	st, err := p.Fetch(context.Background(), target)
	if err != nil || st.OK != transloadit.StateExecuting {
		t.Fatalf("Fetch() = %v, %v; want the running status from the base", st, err)
	}
	if base.count() != 1 {
		t.Errorf("base requests = %d; want 1", base.count())
	}
}

// TestFetchKeepsWhatWorks: once the machine host failed, the base keeps
// being used even after the machine would answer again; the machine is
// asked again only when the base fails.
func TestFetchKeepsWhatWorks(t *testing.T) {
	machine := newUpstream(t, sequence(reply(503, `down`), reply(200, completedBody)))
	base := newUpstream(t, sequence(reply(200, runningBody), reply(200, runningBody), reply(502, `bad gateway`)))
	p, _, _ := newPoller(t, base.URL, nil)
	target := poller.Target{AssemblyID: testID, StatusURL: machine.statusURL(testID)}
	for i := 0; i < 2; i++ {
		if st, err := p.Fetch(context.Background(), target); err != nil || st.OK != transloadit.StateExecuting {
			t.Fatalf("Fetch = %v, %v; want running from the base", st, err)
		}
	}
	st, err := p.Fetch(context.Background(), target) // base fails → machine
	if err != nil || st.OK != transloadit.StateCompleted {
		t.Fatalf("Fetch after the base failed = %v, %v; want completed from the machine", st, err)
	}
	if machine.count() != 2 || base.count() != 3 {
		t.Errorf("requests machine/base = %d/%d; want 2/3", machine.count(), base.count())
	}
}

// TestFetchNotFoundAsksBothHosts: the machine's not-found is checked with
// the base before it is believed; both saying so gives ErrAssemblyNotFound.
func TestFetchNotFoundAsksBothHosts(t *testing.T) {
	notFound := reply(404, `{"error":"ASSEMBLY_NOT_FOUND","message":"not found"}`)
	machine := newUpstream(t, sequence(notFound))
	base := newUpstream(t, sequence(notFound))
	p, rec, _ := newPoller(t, base.URL, nil)
	_, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID, StatusURL: machine.statusURL(testID)})
	if !errors.Is(err, poller.ErrAssemblyNotFound) {
		t.Fatalf("Fetch() error = %v; want ErrAssemblyNotFound", err)
	}
	if machine.count() != 1 || base.count() != 1 {
		t.Errorf("requests machine/base = %d/%d; want 1/1", machine.count(), base.count())
	}
	if got := rec.Outcomes(); len(got) != 2 || got[0] != poller.OutcomeNotFound || got[1] != poller.OutcomeNotFound {
		t.Errorf("outcomes = %v; want [not_found not_found]", got)
	}
}

// TestFetchBothHostsDown: with both hosts failing, the retries alternate
// between them and stay bounded.
func TestFetchBothHostsDown(t *testing.T) {
	machine := newUpstream(t, sequence(reply(503, `down`)))
	base := newUpstream(t, sequence(reply(503, `down`)))
	p, _, _ := newPoller(t, base.URL, nil) // MaxRetries 3
	_, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID, StatusURL: machine.statusURL(testID)})
	if !errors.Is(err, poller.ErrRetriesExhausted) {
		t.Fatalf("Fetch() error = %v; want ErrRetriesExhausted", err)
	}
	// machine, base (the immediate switch), then 3 retries alternating:
	// machine, base, machine.
	if machine.count() != 3 || base.count() != 2 {
		t.Errorf("requests machine/base = %d/%d; want 3/2", machine.count(), base.count())
	}
}
