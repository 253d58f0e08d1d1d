package bridge_test

import (
	"bytes"
	"io"
	"net"
	"net/url"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// bareH2Streams is how many streams one bare HTTP/2 connection opens:
// net/http's server admits 250 at a time on a connection.
const bareH2Streams = 250

// openBareH2Streams opens each Assembly's update stream as an HTTP/2
// stream (without TLS, by prior knowledge), written frame by frame, so
// that only the simulator's side of the streams costs.
func openBareH2Streams(b *testing.B, sts []*transloadit.Status) []net.Conn {
	var conns []net.Conn
	for len(sts) > 0 {
		k := min(len(sts), bareH2Streams)
		conns = append(conns, openBareH2Conn(b, sts[:k]))
		sts = sts[k:]
	}
	return conns
}

func openBareH2Conn(b *testing.B, sts []*transloadit.Status) net.Conn {
	u, err := url.Parse(sts[0].UpdateStreamURL)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := net.Dial("tcp", u.Host)
	if err != nil {
		b.Fatal(err)
	}
	c := &drainedConn{Conn: raw, done: make(chan struct{})}
	go c.drain()
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		b.Fatal(err)
	}
	fr := http2.NewFramer(c, nil)
	if err := fr.WriteSettings(); err != nil {
		b.Fatal(err)
	}
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for i, st := range sts {
		su, err := url.Parse(st.UpdateStreamURL)
		if err != nil {
			b.Fatal(err)
		}
		block.Reset()
		for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", su.Host}, {":path", su.RequestURI()}, {"accept", "text/event-stream"}} {
			_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		err = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: uint32(2*i + 1), BlockFragment: block.Bytes(), EndStream: true, EndHeaders: true})
		if err != nil {
			b.Fatal(err)
		}
	}
	return c
}

// drainedConn discards what the server sends on a bare connection; Close
// closes it and waits for the discarding goroutine.
type drainedConn struct {
	net.Conn
	done chan struct{}
}

func (c *drainedConn) drain() {
	defer close(c.done)
	_, _ = io.Copy(io.Discard, c.Conn)
}

func (c *drainedConn) Close() error {
	err := c.Conn.Close()
	<-c.done
	return err
}
