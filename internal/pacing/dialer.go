package pacing

import (
	"context"
	"net"
	"time"
)

// Dialer dials connections paced at Every (see [Conn]); Timeout bounds the
// sending of held writes.
type Dialer struct {
	net.Dialer
	Every, Timeout time.Duration
}

// Dial dials as net.Dialer does and paces the connection.
func (d *Dialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

// DialContext dials as net.Dialer does and paces the connection.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := d.Dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return New(c, d.Every, d.Timeout, nil), nil
}
