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

// loopback is the policy of these tests.
var loopback = dialguard.New([]string{"127.0.0.1"})

// trusting returns a copy of shared, one of the loopback policy's shared
// transports, that also trusts srv's certificate; the guard is the one
// every client gets.
func trusting(t *testing.T, srv *httptest.Server, shared *http.Transport) *http.Transport {
	t.Helper()
	tr := shared.Clone()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// TestTransportHTTP2: over TLS both transports negotiate HTTP/2 with a
// server that offers it.
func TestTransportHTTP2(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	for name, shared := range map[string]*http.Transport{"Transport": loopback.Transport(), "StreamTransport": loopback.StreamTransport()} {
		resp, err := (&http.Client{Transport: trusting(t, srv, shared), Timeout: 10 * time.Second}).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 || string(body) != "HTTP/2.0" {
			t.Errorf("%s: response %s, server saw %q; want HTTP/2 on both ends", name, resp.Proto, body)
		}
	}
}

// TestTransportHTTP2Windows reads what the stream transport announces
// when it opens an HTTP/2 connection: receive windows that bound what
// streams nobody reads can buffer, with the connection's many times a
// stream's, so that a few stalled streams do not stall the others. The
// status transport keeps net/http's wide windows: its bodies are read at
// once, and a large status should not take many round trips.
func TestTransportHTTP2Windows(t *testing.T) {
	stream := announced(t, loopback.StreamTransport())
	const maxStream, maxConn = 256 << 10, 4 << 20
	if stream.stream == 0 || stream.stream > maxStream {
		t.Errorf("stream window %d; want 1 to %d", stream.stream, maxStream)
	}
	if stream.conn > maxConn || stream.conn < 16*stream.stream {
		t.Errorf("connection window %d; want at most %d and at least 16 stream windows (%d)", stream.conn, maxConn, 16*stream.stream)
	}
	if status := announced(t, loopback.Transport()); status.stream < 1<<20 {
		t.Errorf("status transport's stream window %d; want net/http's default of some MiB", status.stream)
	}
}

// announced returns the windows shared announces on a new HTTP/2
// connection.
func announced(t *testing.T, shared *http.Transport) windows {
	t.Helper()
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
	resp, err := (&http.Client{Transport: trusting(t, srv, shared), Timeout: 10 * time.Second}).Get(srv.URL)
	if err == nil {
		resp.Body.Close()
	}
	return <-got
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
