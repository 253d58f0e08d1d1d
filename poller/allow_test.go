package poller_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/dialguard"
	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/testnet"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/poller"
)

// TestFetchRefusesDisallowedURLs: a Target outside the allow list is
// refused before any connection; the servers count zero requests.
func TestFetchRefusesDisallowedURLs(t *testing.T) {
	up := newUpstream(t, sequence(reply(200, runningBody)))
	host := strings.TrimPrefix(up.URL, "http://")
	_, port, _ := strings.Cut(host, ":")
	tests := []struct {
		name      string
		target    poller.Target
		allowHTTP bool
		wantErr   error
	}{
		{name: "another host", target: poller.Target{AssemblyID: testID, StatusURL: "https://evil.example.com/assemblies/" + testID}, allowHTTP: true, wantErr: transloadit.ErrURLNotAllowed},
		{name: "suffix without a dot boundary", target: poller.Target{AssemblyID: testID, StatusURL: "http://x127.0.0.1:" + port + "/assemblies/" + testID}, allowHTTP: true, wantErr: transloadit.ErrURLNotAllowed},
		{name: "allowed name as a prefix", target: poller.Target{AssemblyID: testID, StatusURL: "http://127.0.0.1.evil.example:" + port + "/assemblies/" + testID}, allowHTTP: true, wantErr: transloadit.ErrURLNotAllowed},
		{name: "file scheme", target: poller.Target{AssemblyID: testID, StatusURL: "file:///etc/passwd"}, allowHTTP: true, wantErr: transloadit.ErrURLNotAllowed},
		{name: "gopher scheme", target: poller.Target{AssemblyID: testID, StatusURL: "gopher://" + host + "/assemblies/" + testID}, allowHTTP: true, wantErr: transloadit.ErrURLNotAllowed},
		{name: "http when only https is allowed", target: poller.Target{AssemblyID: testID, StatusURL: up.statusURL(testID)}, wantErr: transloadit.ErrURLNotAllowed},
		{name: "user info", target: poller.Target{AssemblyID: testID, StatusURL: "http://user:pw@" + host + "/assemblies/" + testID}, allowHTTP: true, wantErr: transloadit.ErrURLNotAllowed},
		{name: "another path", target: poller.Target{AssemblyID: testID, StatusURL: up.URL + "/admin?assembly=" + testID}, allowHTTP: true, wantErr: transloadit.ErrURLNotAllowed},
		{name: "another assembly", target: poller.Target{AssemblyID: testID, StatusURL: up.statusURL(otherID)}, allowHTTP: true, wantErr: transloadit.ErrURLWrongAssembly},
		{name: "deeper path ending in the id", target: poller.Target{AssemblyID: testID, StatusURL: up.URL + "/admin/delete/assemblies/" + testID}, allowHTTP: true, wantErr: transloadit.ErrURLShape},
		{name: "status path with a query", target: poller.Target{AssemblyID: testID, StatusURL: up.statusURL(testID) + "?delete=1"}, allowHTTP: true, wantErr: transloadit.ErrURLShape},
		{name: "status path with a fragment", target: poller.Target{AssemblyID: testID, StatusURL: up.statusURL(testID) + "#x"}, allowHTTP: true, wantErr: transloadit.ErrURLShape},
		{name: "unparsable", target: poller.Target{AssemblyID: testID, StatusURL: "http://%zz/"}, allowHTTP: true, wantErr: transloadit.ErrURLNotAllowed},
		{name: "invalid assembly id", target: poller.Target{AssemblyID: "../../admin"}, allowHTTP: true, wantErr: transloadit.ErrInvalidAssemblyID},
		{name: "upper-case assembly id", target: poller.Target{AssemblyID: strings.ToUpper(testID)}, allowHTTP: true, wantErr: transloadit.ErrInvalidAssemblyID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, rec, _ := newPoller(t, "https://127.0.0.1:1", func(c *poller.Config) {
				c.AllowList.AllowHTTP = tt.allowHTTP
			})
			before := up.count()
			st, err := p.Fetch(context.Background(), tt.target)
			if st != nil || !errors.Is(err, tt.wantErr) {
				t.Fatalf("Fetch(%+v) = %v, %v; want %v", tt.target, st, err, tt.wantErr)
			}
			if n := up.count() - before; n != 0 {
				t.Errorf("server requests = %d; want 0", n)
			}
			if got := rec.Outcomes(); len(got) != 0 {
				t.Errorf("OnRequest outcomes = %v; want none", got)
			}
		})
	}
}

// TestFetchDoesNotFollowRedirects: a redirect from an allowed host to one
// that is not allowed is never followed.
func TestFetchDoesNotFollowRedirects(t *testing.T) {
	elsewhere := newUpstream(t, sequence(reply(200, runningBody)))
	base := newUpstream(t, sequence(reply(http.StatusFound, ``, "Location", elsewhere.statusURL(testID))))
	p, _, _ := newPoller(t, base.URL, nil)
	_, err := p.Fetch(context.Background(), poller.Target{AssemblyID: testID})
	var se *retry.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusFound {
		t.Fatalf("Fetch() error = %v; want a *retry.StatusError for the 302", err)
	}
	if elsewhere.count() != 0 {
		t.Errorf("redirect target requests = %d; want 0", elsewhere.count())
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  poller.Config
	}{
		{name: "APIBase outside the default allow list", cfg: poller.Config{APIBase: "https://example.com"}},
		{name: "APIBase over http by default", cfg: poller.Config{APIBase: "http://api2.transloadit.com"}},
		{name: "MaxRPS at the upstream limit", cfg: poller.Config{MaxRPS: 3}},
		{name: "MaxRPS above the margin", cfg: poller.Config{MaxRPS: 2.6}},
		{name: "negative MaxRPS", cfg: poller.Config{MaxRPS: -1}},
		{name: "negative MaxBodyBytes", cfg: poller.Config{MaxBodyBytes: -1}},
		{name: "MaxBackoff below MinBackoff", cfg: poller.Config{MinBackoff: 2e9, MaxBackoff: 1e9}},
		{name: "negative MaxTracked", cfg: poller.Config{MaxTracked: -1}},
		{name: "negative MaxInFlight", cfg: poller.Config{MaxInFlight: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := poller.New(tt.cfg); !errors.Is(err, poller.ErrInvalidConfig) {
				t.Errorf("New(%+v) error = %v; want ErrInvalidConfig", tt.cfg, err)
			}
		})
	}
	for _, cfg := range []poller.Config{{}, {MaxRPS: poller.MaxMaxRPS}, {MinBackoff: 20e9}, {MaxInFlight: 1}} {
		if _, err := poller.New(cfg); err != nil {
			t.Errorf("New(%+v) error = %v; want nil", cfg, err)
		}
	}
}

// TestFetchRefusedAtDial: without an HTTPClient the Poller dials through
// dialguard, so an address refused at dial time (a name that resolves to
// loopback or private space) ends the Fetch at once: no request, no
// retry, an error wrapping dialguard.ErrRefused.
func TestFetchRefusedAtDial(t *testing.T) {
	up := newUpstream(t, sequence(reply(200, runningBody)))
	refuse := errors.New("refused by the test")
	dialguard.RestrictAll(func(netip.Addr) error { return refuse })
	t.Cleanup(func() { dialguard.RestrictAll(testnet.LoopbackOnly) })
	p, rec, _ := newPoller(t, up.URL, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	st, err := p.Fetch(ctx, poller.Target{AssemblyID: testID})
	if st != nil || !errors.Is(err, dialguard.ErrRefused) || !errors.Is(err, refuse) {
		t.Fatalf("Fetch() = %v, %v; want dialguard.ErrRefused", st, err)
	}
	if !errors.Is(err, poller.ErrPermanent) {
		t.Errorf("Fetch() = %v; want it to match ErrPermanent", err)
	}
	if n := up.count(); n != 0 {
		t.Errorf("server requests = %d; want 0", n)
	}
	if got := rec.Outcomes(); len(got) != 1 {
		t.Errorf("OnRequest outcomes = %v; want one attempt", got)
	}
}
