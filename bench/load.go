package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// loadConfig describes what every Assembly of a phase does.
type loadConfig struct {
	Assemblies int
	Results    int           // results per Assembly, then assembly_finished
	Rate       float64       // results per second per Assembly; 0: as fast as the reader takes them
	StartDelay time.Duration // from the start (stream connected or watch accepted) to the first result
	// Streamed reports whether Assembly i serves its update stream and
	// starts producing when the stream first connects; the others refuse
	// the stream (503) and start producing when their watch is accepted.
	Streamed func(i int) bool
	// TLS, when set, makes the source serve HTTPS, HTTP/2 or HTTP/1.1 as
	// the client asks, with this certificate; nil serves plain HTTP/1.1.
	TLS *upstreamCert
}

// loadSource plays the Transloadit API for one phase: GET
// /assemblies/<id> answers the status, GET /ws1?assembly=<id> the update
// stream. It stamps the time every result becomes visible (in the status
// and on the stream at once), which is where delivery latency starts, and
// counts status requests and stream connections per Assembly.
//
// Production is driven by the stream handler itself for streamed
// Assemblies, so back-pressure from a slow reader slows the upstream, as
// TCP would; the rest are driven by timers.
type loadSource struct {
	cfg  loadConfig
	pay  payloads
	asms []asmState
	srv  *http.Server
	ln   net.Listener
	done chan struct{} // closed by close: handlers and timers stop

	serveDone chan struct{} // closed when Serve returned

	http1Reqs, http2Reqs atomic.Int64 // requests by protocol version
}

// asmState is one Assembly's progress. Stamps are read by the subscriber
// while handlers write them, hence atomics.
type asmState struct {
	mu        sync.Mutex // guards produced, finished, started, streamGen, timer
	produced  int
	finished  bool
	started   bool
	streamGen int
	timer     *time.Timer

	stamps      []atomic.Int64 // unix nanoseconds each result became visible
	finishStamp atomic.Int64   // unix nanoseconds of assembly_finished
	statusReqs  atomic.Int64
	streamConns atomic.Int64
}

func newLoadSource(cfg loadConfig, x ids) (*loadSource, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	scheme := "http://"
	if cfg.TLS != nil {
		scheme = "https://"
	}
	l := &loadSource{
		cfg:       cfg,
		pay:       payloads{ids: x, base: scheme + ln.Addr().String()},
		asms:      make([]asmState, cfg.Assemblies),
		ln:        ln,
		done:      make(chan struct{}),
		serveDone: make(chan struct{}),
	}
	for i := range l.asms {
		l.asms[i].stamps = make([]atomic.Int64, cfg.Results)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /assemblies/{id}", l.serveStatus)
	mux.HandleFunc("GET /ws1", l.serveStream)
	l.serve(mux)
	return l, nil
}

// close stops the timers, ends every stream and waits for the server.
func (l *loadSource) close() {
	close(l.done)
	for i := range l.asms {
		a := &l.asms[i]
		a.mu.Lock()
		if a.timer != nil {
			a.timer.Stop()
		}
		a.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.srv.Shutdown(ctx); err != nil {
		_ = l.srv.Close()
	}
	<-l.serveDone
}

func (l *loadSource) asm(id string) (int, *asmState) {
	i, ok := l.pay.ids.parseAssembly(id)
	if !ok || i >= len(l.asms) {
		return 0, nil
	}
	return i, &l.asms[i]
}

func (l *loadSource) serveStatus(w http.ResponseWriter, r *http.Request) {
	i, a := l.asm(r.PathValue("id"))
	if a == nil {
		http.Error(w, `{"error":"ASSEMBLY_NOT_FOUND"}`, http.StatusNotFound)
		return
	}
	a.statusReqs.Add(1)
	a.mu.Lock()
	produced, finished := a.produced, a.finished
	a.mu.Unlock()
	b := statusBufs.Get().(*bytes.Buffer)
	defer putStatusBuf(b)
	l.pay.status(b, i, produced, finished)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	_, _ = w.Write(b.Bytes())
}

// statusBufs holds the buffers statuses are rendered into. A completed
// status of 60 results is about 110 KB; grown anew by doubling for every
// request, it was a third of the load source's CPU while the Assemblies
// completed together, CPU the measured bridge then went without. Write
// is done with the bytes once it returns.
var statusBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledStatus keeps the buffer of a status with thousands of results
// out of the pool.
const maxPooledStatus = 4 << 20

func putStatusBuf(b *bytes.Buffer) {
	if b.Cap() > maxPooledStatus {
		return
	}
	b.Reset()
	statusBufs.Put(b)
}

// watched tells the load source that Assembly i is being watched: a
// timer-driven Assembly starts producing now.
func (l *loadSource) watched(i int) {
	if i >= len(l.asms) || l.cfg.Streamed(i) {
		return
	}
	a := &l.asms[i]
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		return
	}
	a.started = true
	a.timer = time.AfterFunc(l.cfg.StartDelay, func() { l.tick(a) })
}

// interval is the time between two results; 0 when unpaced.
func (l *loadSource) interval() time.Duration {
	if l.cfg.Rate <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / l.cfg.Rate)
}

// tick produces the next result of a timer-driven Assembly.
func (l *loadSource) tick(a *asmState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-l.done:
		return
	default:
	}
	if l.cfg.Rate <= 0 {
		for !a.finished {
			l.produceLocked(a)
		}
		return
	}
	l.produceLocked(a)
	if !a.finished {
		a.timer.Reset(l.interval())
	}
}

// produceLocked makes the next result visible, or finishes the Assembly
// after the last; it returns the index of the result produced (-1 for
// the finish). The caller holds a.mu.
func (l *loadSource) produceLocked(a *asmState) int {
	now := time.Now().UnixNano()
	if a.produced < l.cfg.Results {
		k := a.produced
		a.stamps[k].Store(now)
		a.produced++
		return k
	}
	a.finished = true
	a.finishStamp.Store(now)
	return -1
}

// counts returns the status requests and stream connections over all
// Assemblies.
func (l *loadSource) counts() (statusReqs, streamConns int64) {
	for i := range l.asms {
		statusReqs += l.asms[i].statusReqs.Load()
		streamConns += l.asms[i].streamConns.Load()
	}
	return statusReqs, streamConns
}

// stamp returns when result res of Assembly asm became visible (-1: the
// finish), zero if it has not.
func (l *loadSource) stamp(asm, res int) time.Time {
	if asm < 0 || asm >= len(l.asms) || res >= l.cfg.Results {
		return time.Time{}
	}
	var ns int64
	if res < 0 {
		ns = l.asms[asm].finishStamp.Load()
	} else {
		ns = l.asms[asm].stamps[res].Load()
	}
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
