package stream_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/stream"
)

const recordingPath = "../internal/transloadit/testdata/sse-recording-two-uploads.txt"

func readRecording(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(recordingPath)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// frame is one SSE frame of a recording, split by the test itself rather
// than by the code under test.
type frame struct{ id, event, data string }

func splitFrames(rec []byte) []frame {
	var out []frame
	for _, block := range strings.Split(string(rec), "\n\n") {
		if strings.TrimSpace(block) == "" {
			continue
		}
		var f frame
		for _, line := range strings.Split(block, "\n") {
			switch {
			case strings.HasPrefix(line, "id: "):
				f.id = line[len("id: "):]
			case strings.HasPrefix(line, "event: "):
				f.event = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				f.data = line[len("data: "):]
			}
		}
		out = append(out, f)
	}
	return out
}

// server is an SSE endpoint whose handler is told the 0-based number of
// the request it serves, and which records every request.
type server struct {
	*httptest.Server
	done chan struct{} // closed before the server closes, to free held handlers

	mu   sync.Mutex // guards reqs
	reqs []*http.Request
}

func newServer(t testing.TB, h func(n int, w http.ResponseWriter, r *http.Request)) *server {
	t.Helper()
	s := &server{done: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, r.Clone(context.Background()))
		s.mu.Unlock()
		h(n, w, r)
	}))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(s.done) })
	s.URL += streamPath
	return s
}

// testAssemblyID is the Assembly every test stream URL names.
const testAssemblyID = "2b7beaddf0a046e2ada603346f2cbee1"

// streamPath turns a test server's origin into an update stream URL of
// the shape the client accepts; the handlers ignore it.
const streamPath = "/ws1?assembly=" + testAssemblyID

func (s *server) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

func (s *server) request(i int) *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs[i]
}

// hold blocks until the client goes away or the test ends.
func (s *server) hold(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.done:
	}
}

func startStream(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
}

func send(w http.ResponseWriter, s string) {
	io.WriteString(w, s)
	w.(http.Flusher).Flush()
}

// abort cuts the connection without ending the chunked body, as a crashed
// proxy would.
func abort() { panic(http.ErrAbortHandler) }

// recorder collects what a Run reports.
type recorder struct {
	mu          sync.Mutex // guards all fields
	updates     []stream.Update
	connects    int
	disconnects []error
}

func (r *recorder) handle(u stream.Update) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, u)
}

func (r *recorder) got() []stream.Update {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]stream.Update(nil), r.updates...)
}

func (r *recorder) disc() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.disconnects...)
}

func (r *recorder) conns() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.connects
}

func (r *recorder) wire(cfg *stream.Config) {
	cfg.OnConnect = func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.connects++
	}
	cfg.OnDisconnect = func(err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.disconnects = append(r.disconnects, err)
	}
}

var loopback = transloadit.AllowList{HostSuffixes: []string{"127.0.0.1"}, AllowHTTP: true}

// testConfig is a fast configuration: millisecond backoff, a generous idle
// timeout, logs to the test log.
func testConfig(t *testing.T, url string) stream.Config {
	return stream.Config{
		URL:         url,
		AllowList:   loopback,
		MinBackoff:  time.Millisecond,
		MaxBackoff:  10 * time.Millisecond,
		IdleTimeout: 10 * time.Second,
		Logger:      zaptest.NewLogger(t),
	}
}

// runClient runs a client for cfg until it returns (at most 20s), wiring
// rec into its callbacks.
func runClient(t *testing.T, cfg stream.Config, rec *recorder) error {
	t.Helper()
	rec.wire(&cfg)
	c, err := stream.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	err = c.Run(ctx, rec.handle)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run did not return within the test's deadline")
	}
	return err
}

func kinds(us []stream.Update) []stream.Kind {
	out := make([]stream.Kind, len(us))
	for i, u := range us {
		out[i] = u.Kind
	}
	return out
}

func names(us []stream.Update) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Name
	}
	return out
}

// serveBytes writes b in chunks of n bytes (all at once when n <= 0),
// flushing after each.
func serveBytes(w http.ResponseWriter, b []byte, n int) {
	startStream(w)
	if n <= 0 {
		n = len(b)
	}
	for len(b) > 0 {
		k := min(n, len(b))
		w.Write(b[:k])
		w.(http.Flusher).Flush()
		b = b[k:]
	}
}

// cutAfter returns the prefix of rec up to and including the k-th frame
// (its blank line too).
func cutAfter(rec []byte, k int) []byte {
	i := 0
	for range k {
		j := bytes.Index(rec[i:], []byte("\n\n"))
		i += j + 2
	}
	return rec[:i]
}
