package dialguard_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/tlbridge/tlbridge/internal/dialguard"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		allow []string
		ip    string
		want  bool // allowed
	}{
		{nil, "8.8.8.8", true},
		{nil, "2606:4700:4700::1111", true},
		{nil, "64:ff9b::808:808", true}, // NAT64 of a public address
		{nil, "127.0.0.1", false},
		{nil, "127.8.9.10", false},
		{nil, "::1", false},
		{nil, "::ffff:127.0.0.1", false},
		{nil, "::127.0.0.1", false},
		{nil, "64:ff9b::7f00:1", false}, // NAT64 of 127.0.0.1
		{nil, "10.0.0.1", false},
		{nil, "172.16.5.4", false},
		{nil, "192.168.1.1", false},
		{nil, "::ffff:192.168.1.1", false},
		{nil, "169.254.169.254", false},
		{nil, "::ffff:169.254.169.254", false},
		{nil, "fe80::1", false},
		{nil, "fe80::1%eth0", false},
		{nil, "fc00::1", false},
		{nil, "fd12:3456::1", false},
		{nil, "0.0.0.0", false},
		{nil, "0.1.2.3", false},
		{nil, "::", false},
		{nil, "224.0.0.1", false},
		{nil, "239.255.255.250", false},
		{nil, "ff02::1", false},
		{nil, "ff05::2", false},
		{nil, "100.100.100.200", false},
		{nil, "255.255.255.255", false},
		{nil, "198.18.0.1", false},
		{nil, "fec0::1", false},
		{[]string{"transloadit.com"}, "127.0.0.1", false},
		{[]string{"127.0.0.1"}, "127.0.0.1", true},
		{[]string{"127.0.0.1"}, "::ffff:127.0.0.1", true},
		{[]string{"127.0.0.1"}, "127.0.0.2", false},
		{[]string{"127.0.0.1"}, "::1", false},
		{[]string{"::1"}, "::1", true},
		{[]string{"[::1]"}, "::1", true},
		{[]string{"localhost"}, "127.0.0.2", true},
		{[]string{"LocalHost."}, "::1", true},
		{[]string{"localhost"}, "10.0.0.1", false},
		{[]string{"localhost"}, "169.254.169.254", false},
		{[]string{"10.1.2.3"}, "10.1.2.3", true},
		{[]string{"10.1.2.3"}, "10.1.2.4", false},
		{[]string{"sub.localhost"}, "127.0.0.1", false},
	}
	for _, tt := range tests {
		err := dialguard.New(tt.allow).Check(netip.MustParseAddr(tt.ip))
		if (err == nil) != tt.want || err != nil && !errors.Is(err, dialguard.ErrRefused) {
			t.Errorf("New(%q).Check(%s) = %v; want allowed %v", tt.allow, tt.ip, err, tt.want)
		}
	}
}

func TestControlRefusesUnparsable(t *testing.T) {
	g := dialguard.New(nil)
	for _, addr := range []string{"", "example.com:443", "1.2.3.4"} {
		if err := g.Control("tcp", addr, nil); !errors.Is(err, dialguard.ErrRefused) {
			t.Errorf("Control(%q) = %v; want ErrRefused", addr, err)
		}
	}
	if err := g.Control("tcp4", "8.8.8.8:443", nil); err != nil {
		t.Errorf("Control(8.8.8.8:443) = %v; want nil", err)
	}
}

func TestRestrictAll(t *testing.T) {
	refuse := errors.New("test restriction")
	dialguard.RestrictAll(func(netip.Addr) error { return refuse })
	t.Cleanup(func() { dialguard.RestrictAll(nil) })
	err := dialguard.New([]string{"8.8.8.8"}).Check(netip.MustParseAddr("8.8.8.8"))
	if !errors.Is(err, dialguard.ErrRefused) || !errors.Is(err, refuse) {
		t.Errorf("Check under RestrictAll = %v; want ErrRefused and the restriction's error", err)
	}
	dialguard.RestrictAll(nil)
	if err := dialguard.New(nil).Check(netip.MustParseAddr("8.8.8.8")); err != nil {
		t.Errorf("Check after RestrictAll(nil) = %v; want nil", err)
	}
}

func TestTransportShared(t *testing.T) {
	a := dialguard.New([]string{"127.0.0.1", "transloadit.com"}).Transport()
	b := dialguard.New([]string{"transloadit.com", "127.0.0.1", "127.0.0.1"}).Transport()
	c := dialguard.New([]string{"localhost"}).Transport()
	if a != b || a == c {
		t.Errorf("Transport sharing: same policy %v, different policy %v; want true, false", a == b, a == c)
	}
	if a.Proxy != nil {
		t.Error("guarded Transport uses a proxy; the proxy would be checked instead of the host")
	}
}
