package dialguard

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// ErrRefused is wrapped by the error of a dial to a refused address.
// Retrying cannot help: the address is refused by configuration.
var ErrRefused = errors.New("dialguard: address refused")

// Guard decides which resolved addresses may be dialled. Its zero value
// refuses every special-purpose address. A Guard is immutable and safe
// for concurrent use.
type Guard struct {
	loopback bool         // an allow list entry is "localhost"
	exact    []netip.Addr // allow list entries that are IP addresses, unmapped, sorted
}

// New returns the Guard for an allow list's host entries (the same
// entries transloadit.AllowList.HostSuffixes holds): an entry that is an
// IP address admits exactly that address, and "localhost" admits every
// loopback address. Other entries admit nothing special: a name is
// checked by what it resolves to.
func New(hosts []string) *Guard {
	g := &Guard{}
	for _, h := range hosts {
		h = transloadit.NormalizeHost(h)
		if h == "localhost" {
			g.loopback = true
			continue
		}
		if ip, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
			g.exact = append(g.exact, ip.Unmap().WithZone(""))
		}
	}
	slices.SortFunc(g.exact, netip.Addr.Compare)
	g.exact = slices.Compact(g.exact)
	return g
}

// Check returns nil when ip may be dialled, else an error wrapping
// [ErrRefused].
func (g *Guard) Check(ip netip.Addr) error {
	ip = ip.Unmap().WithZone("")
	if r := restriction.Load(); r != nil {
		if err := (*r)(ip); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrRefused, ip, err)
		}
	}
	if _, found := slices.BinarySearchFunc(g.exact, ip, netip.Addr.Compare); found {
		return nil
	}
	if g.loopback && ip.IsLoopback() {
		return nil
	}
	if why := special(ip); why != "" {
		return fmt.Errorf("%w: %s is %s", ErrRefused, ip, why)
	}
	return nil
}

// Control is a net.Dialer Control hook: it runs Check on the resolved
// address of every connection attempt, before the connection is made.
func (g *Guard) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable address %q", ErrRefused, address)
	}
	return g.Check(ap.Addr())
}

// Dialer returns a dialer with the settings of http.DefaultTransport's
// and g's Control hook.
func (g *Guard) Dialer() *net.Dialer {
	return &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: g.Control}
}

// key identifies g's policy; Guards with equal keys decide alike.
func (g *Guard) key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "loopback=%v", g.loopback)
	for _, ip := range g.exact {
		b.WriteString(" " + ip.String())
	}
	return b.String()
}

// restriction, when set, is checked before every Guard's own rules.
var restriction atomic.Pointer[func(netip.Addr) error]

// RestrictAll makes every Guard in the process refuse an address that
// check refuses as well, before its own rules. Tests use it to keep every
// dial on loopback, whatever the allow list says. A nil check removes the
// restriction.
func RestrictAll(check func(netip.Addr) error) {
	if check == nil {
		restriction.Store(nil)
		return
	}
	restriction.Store(&check)
}
