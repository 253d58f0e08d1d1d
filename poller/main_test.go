package poller_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"

	"go.uber.org/goleak"
)

// TestMain keeps tests off the network: http.DefaultTransport dials only
// loopback addresses, and no proxy from the environment is used.
func TestMain(m *testing.M) {
	tr := http.DefaultTransport.(*http.Transport)
	tr.Proxy = nil
	tr.DialContext = loopbackOnly((&net.Dialer{}).DialContext)
	goleak.VerifyTestMain(m)
}

// loopbackOnly refuses to dial anything but a loopback IP or localhost.
func loopbackOnly(dial func(context.Context, string, string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("test transport: refusing non-loopback dial to %s", addr)
		}
		return dial(ctx, network, addr)
	}
}
