package dialguard_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/tlbridge/tlbridge/internal/dialguard"
)

// trusting returns a copy of the loopback policy's shared transport that
// also trusts srv's certificate; the guard is the one every client gets.
func trusting(t *testing.T, srv *httptest.Server) *http.Transport {
	t.Helper()
	tr := dialguard.New([]string{"127.0.0.1"}).Transport().Clone()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// TestTransportHTTP2: over TLS the transport negotiates HTTP/2 with a
// server that offers it.
func TestTransportHTTP2(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	resp, err := (&http.Client{Transport: trusting(t, srv), Timeout: 10 * time.Second}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.ProtoMajor != 2 || string(body) != "HTTP/2.0" {
		t.Errorf("response %s, server saw %q; want HTTP/2 on both ends", resp.Proto, body)
	}
}

// TestTransportHTTP2Windows reads what the transport announces when it
// opens an HTTP/2 connection: receive windows that bound what streams
// nobody reads can buffer, with the connection's many times a stream's,
// so that a few stalled streams do not stall the others.
func TestTransportHTTP2Windows(t *testing.T) {
	got := make(chan windows, 1)
	srv := httptest.NewUnstartedServer(nil)
	srv.TLS = &tls.Config{NextProtos: []string{http2.NextProtoTLS}}
	srv.Config.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){
		http2.NextProtoTLS: func(_ *http.Server, c *tls.Conn, _ http.Handler) {
			defer c.Close()
			got <- readWindows(t, c)
		},
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	// The server hangs up after the client's first frames: the request
	// fails, the frames are what counts.
	resp, err := (&http.Client{Transport: trusting(t, srv), Timeout: 10 * time.Second}).Get(srv.URL)
	if err == nil {
		resp.Body.Close()
	}
	w := <-got
	const maxStream, maxConn = 256 << 10, 4 << 20
	if w.stream == 0 || w.stream > maxStream {
		t.Errorf("stream window %d; want 1 to %d", w.stream, maxStream)
	}
	if w.conn > maxConn || w.conn < 16*w.stream {
		t.Errorf("connection window %d; want at most %d and at least 16 stream windows (%d)", w.conn, maxConn, 16*w.stream)
	}
}

// windows are the receive windows a client announces, in bytes.
type windows struct{ stream, conn uint32 }

// readWindows reads the client preface, SETTINGS and the connection's
// WINDOW_UPDATE, and returns the windows they set: the spec's defaults
// where a frame leaves one unsaid.
func readWindows(t *testing.T, c *tls.Conn) (w windows) {
	const initialWindow = 65535 // RFC 9113, 6.9.2
	w.stream, w.conn = initialWindow, initialWindow
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, make([]byte, len(http2.ClientPreface))); err != nil {
		t.Errorf("preface: %v", err)
		return w
	}
	fr := http2.NewFramer(io.Discard, c)
	for range 4 {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Errorf("read frame: %v", err)
			return w
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if v, ok := f.Value(http2.SettingInitialWindowSize); ok {
				w.stream = v
			}
		case *http2.WindowUpdateFrame:
			if f.StreamID == 0 {
				w.conn += f.Increment
				return w
			}
		}
	}
	return w
}
