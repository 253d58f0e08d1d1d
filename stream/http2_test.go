package stream_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tlbridge/tlbridge/internal/dialguard"
)

// TestHTTP2: through the guarded transport every client shares by
// default, a stream from a server that offers HTTP/2 runs over HTTP/2,
// and an event far larger than the transport's stream window arrives
// whole, as reading it gives the window back.
func TestHTTP2(t *testing.T) {
	verifyNoLeaks(t)
	big := `["big",{"id":"r1","meta":{"blob":"` + strings.Repeat("y", 1<<20) + `"}}]`
	var proto atomic.Pointer[string]
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto.Store(&r.Proto)
		startStream(w)
		send(w, "event: assembly_result_finished\ndata: "+big+"\n\n")
		send(w, "data: assembly_finished\n\n")
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)

	tr := dialguard.New(loopback.HostSuffixes).StreamTransport().Clone()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	t.Cleanup(tr.CloseIdleConnections)

	// loopback admits the test server's port (as a test host) and https.
	cfg := testConfig(t, srv.URL+streamPath)
	cfg.HTTPClient = &http.Client{Transport: tr}
	var got recorder
	if err := runClient(t, cfg, &got); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if p := proto.Load(); p == nil || *p != "HTTP/2.0" {
		t.Errorf("server saw %v; want HTTP/2.0", p)
	}
	if us := got.got(); len(us) != 2 || us[0].Result == nil || len(us[0].Raw) != len(big) {
		t.Errorf("updates = %v; want the big result, then the finish", names(us))
	}
}
