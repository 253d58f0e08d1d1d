package testnet

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestDialerRefusesNonLoopback(t *testing.T) {
	_, err := Dialer().DialContext(context.Background(), "tcp", "192.0.2.1:443")
	if err == nil {
		t.Fatal("dial to 192.0.2.1 succeeded; want refused")
	}
}

func TestRestrictedTransportReachesLoopback(t *testing.T) {
	RestrictDefaultTransport()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatalf("GET loopback: %v", err)
	}
	resp.Body.Close()
	CloseIdle()
}
