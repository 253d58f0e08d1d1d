package stream_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// loopbackOnly is http.DefaultTransport for the tests: it refuses every
// dial that is not to a loopback address, so no test can reach a real host.
var loopbackOnly = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	d := &net.Dialer{Timeout: 5 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("test: refusing non-loopback dial to %s", addr)
		}
		return d.DialContext(ctx, network, addr)
	}
	return t
}()

// closingM closes idle keep-alive connections after the tests, so their
// reader goroutines are not reported as leaks.
type closingM struct{ m *testing.M }

func (c closingM) Run() int {
	code := c.m.Run()
	loopbackOnly.CloseIdleConnections()
	return code
}

func TestMain(m *testing.M) {
	http.DefaultTransport = loopbackOnly
	goleak.VerifyTestMain(closingM{m})
}

// verifyNoLeaks checks, after the test and its cleanups, that no goroutine
// started during the test is still running.
func verifyNoLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		loopbackOnly.CloseIdleConnections()
		if err := goleak.Find(opt); err != nil {
			t.Errorf("leaked goroutines: %v", err)
		}
	})
}
