// Package dialguard refuses connections to addresses a fetched URL must
// never reach: loopback, link-local, private, unspecified, multicast and
// other special-purpose ranges, IPv4 and IPv6 alike (IPv4-mapped IPv6
// addresses included). The check runs on the resolved address in a
// net.Dialer's Control hook, after DNS, so a host name on the allow list
// that resolves into such a range (DNS rebinding) is refused too.
//
// An allow list entry that is itself an IP address admits that address,
// and an entry "localhost" admits loopback: that is how tests and a local
// simulator are reached.
package dialguard
