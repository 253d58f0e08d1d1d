package dialguard

import (
	"net/http"
	"sync"
	"time"
)

// HTTP/2 receive windows of StreamTransport. net/http's defaults (4 MiB per
// stream, 1 GiB per connection) let a bridge whose readers have stopped
// buffer gigabytes: its read-ahead stops reading, but over HTTP/2 that
// does not push back on the upstream; flow control does, once these
// windows are full. Each bounds the data received and not yet read:
// 64 KiB a stream (640 MiB at most for 10,000 streams, however many
// connections they use) and 1 MiB a connection (40 MiB for 10,000 streams
// at 250 a connection, net/http's server default; 100 MiB at 100).
//
// 64 KiB is the protocol's own default stream window, about 30 results of
// a typical size, and still 640 KB/s for one stream at 100 ms round-trip,
// against the few KB/s a stream carries; the largest event allowed, 2 MiB,
// takes some 32 round trips. net/http gives a connection's window back only as bodies are
// read, so a stream whose reader waits holds its share of it until it
// reads again: at 16 stream windows, one or a few such streams leave the
// others on the connection their full pace.
const (
	http2StreamWindow = 64 << 10
	http2ConnWindow   = 1 << 20
)

// HTTP/2 health checks. An update stream's connection stays open for the
// life of its Assemblies. When it dies silently (a NAT entry dropped, a
// host gone without a reset), its streams learn of it only from their idle
// timeout, and their reconnects go out on the same dead connection, which
// the pool still takes for alive, until TCP gives up minutes later. With
// these, net/http sends a PING after 30 s without a frame and closes the
// connection if no answer comes within 15 s: a dead connection is gone
// before the streams' idle timeout (90 s by default), and they reconnect
// on a new one. A busy connection never pings, as every frame counts; a
// silent live one costs a PING every 30 s.
const (
	http2PingAfter   = 30 * time.Second
	http2PingTimeout = 15 * time.Second
)

// transports holds one shared Transport per policy, so that every client
// with the same allow list shares one connection pool.
var transports struct {
	mu sync.Mutex                 // guards m
	m  map[string]*http.Transport // by use and Guard.key
}

// Transport returns the process's HTTP transport for g's policy, for
// requests whose bodies are read at once, such as statuses: the settings
// of http.DefaultTransport, dialling through g, no proxy (a proxy would be
// dialled instead of the host, and checked instead of it), and HTTP/2
// health checks. Calls with Guards of the same policy return the same
// Transport.
func (g *Guard) Transport() *http.Transport {
	return g.shared("", &http.HTTP2Config{SendPingTimeout: http2PingAfter, PingTimeout: http2PingTimeout})
}

// StreamTransport is [Guard.Transport] for long-lived streams, with
// bounded HTTP/2 receive windows. It keeps connections of its own: a
// status fetch sharing a connection with stalled streams could wait for
// window space they hold, while the worker waiting for that fetch is the
// one that would read its stream and give the space back.
func (g *Guard) StreamTransport() *http.Transport {
	return g.shared("stream", &http.HTTP2Config{
		MaxReceiveBufferPerStream:     http2StreamWindow,
		MaxReceiveBufferPerConnection: http2ConnWindow,
		SendPingTimeout:               http2PingAfter,
		PingTimeout:                   http2PingTimeout,
	})
}

func (g *Guard) shared(use string, h2 *http.HTTP2Config) *http.Transport {
	k := use + "\x00" + g.key()
	transports.mu.Lock()
	defer transports.mu.Unlock()
	if t, ok := transports.m[k]; ok {
		return t
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = g.Dialer().DialContext
	t.DialTLSContext = nil
	t.HTTP2 = h2
	if transports.m == nil {
		transports.m = make(map[string]*http.Transport)
	}
	transports.m[k] = t
	return t
}

// CloseIdleConnections closes the idle connections of every Transport
// this package returned, as tests do before checking for leaked
// goroutines.
func CloseIdleConnections() {
	transports.mu.Lock()
	defer transports.mu.Unlock()
	for _, t := range transports.m {
		t.CloseIdleConnections()
	}
}
