package transloadittest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Server is a running Transloadit API simulator with two loopback hosts:
// URL plays https://api2.transloadit.com and MachineURL plays the machine
// host (https://api2-<machine>.transloadit.com) that serves
// assembly_ssl_url and the update stream.
//
// Both hosts speak HTTP/1.1 and, to clients that ask for it by prior
// knowledge, HTTP/2 without TLS (http.Protocols.SetUnencryptedHTTP2).
//
// A Server is safe for concurrent use. The caller must call Close.
type Server struct {
	// URL is the base host, "http://127.0.0.1:<port>", without a trailing
	// slash.
	URL string
	// MachineURL is the machine host, "http://127.0.0.1:<port>".
	MachineURL string

	// OnStatus, when set, is asked first about every status GET (after
	// it is counted and any injected latency): if it returns handled, the
	// request is answered with code and body (as JSON) and nothing else
	// happens. Set it before requests are made, or use SetOnStatus.
	OnStatus func(id string, r *http.Request) (code int, body []byte, handled bool)

	cfg          config
	accountID    string
	instance     string
	websocketURL string
	machineLn    string // the machine host's listen address, for coming back up
	client       *http.Client

	done      chan struct{} // closed by Close: every goroutine of the Server returns
	closeOnce sync.Once
	engines   sync.WaitGroup // lifecycle goroutines
	handlers  sync.WaitGroup // running HTTP handlers

	hostMu  sync.Mutex // guards base, machine
	base    *host
	machine *host // nil while the machine host is down

	mu          sync.Mutex // guards closed, assemblies, seq, changed, faults, counters, unknownReqs, streams, and every assembly's mutable fields; also read access to OnStatus
	closed      bool
	assemblies  map[string]*assembly
	seq         int
	changed     chan struct{} // closed and replaced on every change (coalescing wake-up)
	faults      Faults
	counters    Counters
	unknownReqs map[string][]time.Time
	streams     map[*streamConn]*assembly
}

// maxUnknownIDs bounds the unknown Assembly IDs whose status requests are
// remembered (for the rate limit and StatusRequests).
const maxUnknownIDs = 1000

// NewServer starts a Server on loopback and panics if it cannot listen,
// like httptest.NewServer. Use Listen to get the error instead.
func NewServer(opts ...Option) *Server {
	s, err := Listen(opts...)
	if err != nil {
		panic(fmt.Sprintf("transloadittest: %v", err))
	}
	return s
}

// Listen starts a Server, returning an error when a listener cannot be
// opened.
func Listen(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	bl, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("listen base host: %w", err)
	}
	ml, err := net.Listen("tcp", cfg.machineAddr)
	if err != nil {
		bl.Close()
		return nil, fmt.Errorf("listen machine host: %w", err)
	}
	seedRNG := mrand.New(mrand.NewPCG(cfg.seed, 0x5eed))
	s := &Server{
		URL:         "http://" + dialable(bl.Addr()),
		MachineURL:  "http://" + dialable(ml.Addr()),
		cfg:         cfg,
		accountID:   fileID(seedRNG),
		instance:    dialable(ml.Addr()),
		machineLn:   ml.Addr().String(),
		done:        make(chan struct{}),
		assemblies:  make(map[string]*assembly),
		changed:     make(chan struct{}),
		faults:      cfg.faults,
		unknownReqs: make(map[string][]time.Time),
		streams:     make(map[*streamConn]*assembly),
	}
	s.websocketURL = s.MachineURL + "/ws" + strconv.Itoa(ml.Addr().(*net.TCPAddr).Port)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	s.client = &http.Client{Transport: tr}
	s.base = s.serve(bl, false)
	s.machine = s.serve(ml, true)
	return s, nil
}

// dialable is addr with an unspecified IP (0.0.0.0, ::) replaced by
// loopback, so URLs built from it can be dialed.
func dialable(addr net.Addr) string {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	ip := ta.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(ta.Port))
}

// host is one listener with its http.Server.
type host struct {
	srv  *http.Server
	done chan struct{} // closed when Serve returned
}

func (s *Server) serve(ln net.Listener, machine bool) *host {
	h := &host{
		srv: &http.Server{
			Handler:           s.track(s.router(machine)),
			ReadHeaderTimeout: 10 * time.Second,
		},
		done: make(chan struct{}),
	}
	// Production's streams share HTTP/2 connections; tests of what that
	// costs need no certificates.
	h.srv.Protocols = new(http.Protocols)
	h.srv.Protocols.SetHTTP1(true)
	h.srv.Protocols.SetUnencryptedHTTP2(true)
	if s.cfg.logf != nil {
		h.srv.ErrorLog = log.New(logWriter(s.cfg.logf), "", 0)
	}
	go func() {
		defer close(h.done)
		_ = h.srv.Serve(ln)
	}()
	return h
}

// close closes the listener and every connection, then waits for Serve
// to return. Handlers still running notice through their request context
// and the Server's done channel.
func (h *host) close() {
	_ = h.srv.Close()
	<-h.done
}

type logWriter func(format string, args ...any)

func (w logWriter) Write(p []byte) (int, error) {
	w("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// track counts running handlers so Close can wait for them, and refuses
// requests once Close began.
func (s *Server) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			writeAPIError(w, http.StatusServiceUnavailable, apiError{Error: "SERVER_503", Message: "The server is shutting down."})
			return
		}
		s.handlers.Add(1)
		s.mu.Unlock()
		defer s.handlers.Done()
		h.ServeHTTP(w, r)
	})
}

// Close stops every Assembly, cuts every open stream and request, closes
// both hosts and waits for all goroutines of the Server. It is idempotent
// and safe to call concurrently; it never waits on a client.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.done)
		s.notifyLocked()
		s.mu.Unlock()

		s.hostMu.Lock()
		base, machine := s.base, s.machine
		s.machine = nil
		s.hostMu.Unlock()
		base.close()
		if machine != nil {
			machine.close()
		}
		s.engines.Wait()
		s.handlers.Wait()
		s.client.CloseIdleConnections()
	})
}

// Client returns an HTTP client for the Server's hosts, without an overall
// timeout (streams are long). Close closes its idle connections.
func (s *Server) Client() *http.Client { return s.client }

// AllowList returns the allow list that admits both hosts of the Server
// (plain http).
func (s *Server) AllowList() transloadit.AllowList {
	hosts := []string{}
	for _, raw := range []string{s.URL, s.MachineURL} {
		h, _, _ := net.SplitHostPort(strings.TrimPrefix(raw, "http://"))
		if len(hosts) == 0 || hosts[len(hosts)-1] != h {
			hosts = append(hosts, h)
		}
	}
	return transloadit.AllowList{HostSuffixes: hosts, AllowHTTP: true}
}

// SetMachineDown takes the machine host down (its listener is closed, so
// connections are refused, and every open connection and stream is cut)
// or brings it back up on the same address. Assemblies keep running and
// the base host keeps serving their status, as when Transloadit recycles a
// machine.
func (s *Server) SetMachineDown(down bool) {
	s.hostMu.Lock()
	defer s.hostMu.Unlock()
	if s.isClosed() {
		return
	}
	switch {
	case down && s.machine != nil:
		s.DropStreams()
		s.machine.close()
		s.machine = nil
	case !down && s.machine == nil:
		ln, err := s.relisten()
		if err != nil {
			s.logf("machine host stays down: %v", err)
			return
		}
		s.machine = s.serve(ln, true)
	}
}

// relisten reopens the machine host's port, retrying briefly in case the
// kernel has not released it yet.
func (s *Server) relisten() (net.Listener, error) {
	var err error
	for range 50 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", s.machineLn); err == nil {
			return ln, nil
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-s.done:
			return nil, ErrClosed
		}
	}
	return nil, err
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// notifyLocked wakes everyone waiting for a change. The caller holds mu.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// sleep waits d unless ctx or the Server ends first; it reports whether
// the full time passed.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// delay holds a request for d; when the client leaves or the Server
// closes first, it aborts the response so the client sees a cut
// connection, never an empty answer.
func (s *Server) delay(r *http.Request, d time.Duration) {
	if d > 0 && !s.sleep(r.Context(), d) {
		panic(http.ErrAbortHandler)
	}
}

// newAssemblyID returns a random UUIDv4 without dashes, the shape of
// upstream IDs.
func newAssemblyID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

// router dispatches the API's routes. Both hosts serve the Assembly
// routes; only the machine host serves update streams.
func (s *Server) router(machine bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == "/assemblies" || p == "/assemblies/":
			switch r.Method {
			case http.MethodGet:
				s.serveList(w, r)
				return
			case http.MethodPost:
				s.serveCreate(w, r, "")
				return
			}
		case strings.HasPrefix(p, "/assemblies/"):
			id := strings.TrimSuffix(strings.TrimPrefix(p, "/assemblies/"), "/")
			if strings.Contains(id, "/") {
				break
			}
			switch r.Method {
			case http.MethodGet:
				s.serveStatus(w, r, id)
				return
			case http.MethodPost:
				s.serveCreate(w, r, id)
				return
			case http.MethodDelete:
				s.serveCancel(w, r, id)
				return
			}
		case machine && isStreamPath(p) && r.Method == http.MethodGet:
			s.serveStream(w, r)
			return
		}
		writeAPIError(w, http.StatusNotFound, apiError{Error: transloadit.CodeServer404, Message: "unknown method / url"})
	}
}

// isStreamPath matches "/ws<digits>", the path of websocket_url.
func isStreamPath(p string) bool {
	rest, ok := strings.CutPrefix(p, "/ws")
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
