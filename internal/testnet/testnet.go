// Package testnet keeps a package's tests on loopback and checks that they
// leave no goroutine behind. Every package that does HTTP or starts
// goroutines calls [Main] from its TestMain.
package testnet

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tlbridge/tlbridge/internal/dialguard"
)

// Dialer returns a dialer that refuses every address but loopback. The
// check runs on the resolved address, so no host name can lead a test to
// a real host.
func Dialer() *net.Dialer {
	return &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			if err := LoopbackOnly(ap.Addr().Unmap()); err != nil {
				return fmt.Errorf("%w: %s", err, address)
			}
			return nil
		},
	}
}

// RestrictDefaultTransport makes http.DefaultTransport dial loopback only
// and ignore proxy settings from the environment, and makes every
// dialguard transport dial loopback only too.
func RestrictDefaultTransport() {
	tr := http.DefaultTransport.(*http.Transport)
	tr.Proxy = nil
	tr.DialContext = Dialer().DialContext
	dialguard.RestrictAll(LoopbackOnly)
}

// LoopbackOnly refuses every address but loopback; it is the restriction
// RestrictDefaultTransport puts on every dialguard.Guard.
func LoopbackOnly(ip netip.Addr) error {
	if !ip.IsLoopback() {
		return errNotLoopback
	}
	return nil
}

var errNotLoopback = errors.New("test dial to non-loopback address refused")

// CloseIdle closes the idle keep-alive connections of the default
// transport and of every dialguard transport, whose reader goroutines
// would otherwise count as leaks.
func CloseIdle() {
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	dialguard.CloseIdleConnections()
}

// Main restricts the default transport, runs the tests, and fails the run
// if goroutines are left over.
func Main(m *testing.M) {
	RestrictDefaultTransport()
	goleak.VerifyTestMain(closing{m})
}

type closing struct{ m *testing.M }

func (c closing) Run() int {
	code := c.m.Run()
	CloseIdle()
	return code
}
