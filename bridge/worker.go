package bridge

import (
	"context"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/semaphore"

	"github.com/tlbridge/tlbridge/bridge/normalize"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
)

// workerEnv is what every worker needs from its Manager, handed over once
// so a worker never reaches into the Manager's configuration.
type workerEnv struct {
	poller        *poller.Poller
	publisher     publish.Publisher
	clock         retry.Clock
	metrics       *Metrics
	log           *zap.Logger
	pollInterval  time.Duration
	watchTTL      time.Duration
	notFoundGrace time.Duration
	giveUpAfter   time.Duration
	disableStream bool
	maxEventSize  int
	allowList     transloadit.AllowList
	httpClient    *http.Client
	onEvent       func(ev schemas.Event, data []byte)
	// onStatus, set by tests only, sees each status the normalizer is given.
	onStatus func(st *transloadit.Status)

	readAhead, readAheadTotal int64               // bounds, per watch and in all
	readAheadAll              *semaphore.Weighted // shared by every watch, of readAheadTotal
}

// worker watches one Assembly: stream first, the status fetched once it
// is connected, polling while the stream is down, and a status fetch
// before the terminal event.
type worker struct {
	env    *workerEnv
	id     string
	req    WatchRequest
	norm   *normalize.Normalizer
	log    *zap.Logger
	cancel context.CancelFunc // stops this watch
	ctx    context.Context
	done   chan struct{} // closed by the manager after run returned
	// seed, when set, is a status from a notification that started the
	// watch: it stands in for the first fetch.
	seed *transloadit.Status
	// notes carries statuses from later notifications; it holds the latest
	// only, which is enough since a status includes all before it.
	notes chan *transloadit.Status
	// watchID names this watch among the Assembly's watches (see
	// queuedWatch.Watch); a replay's event IDs carry it.
	watchID string
	// lease, with durable watches, is the worker's hold on its queued
	// watch; nil otherwise.
	lease *lease

	mu         sync.Mutex // guards state, streaming, events, canceled, canceledBy
	state      string
	streaming  bool
	events     int
	started    time.Time
	canceled   bool   // the watch is canceled on request
	canceledBy string // who asked
}

// newWorker returns a worker whose observation ends with parent; nc
// configures its normalizer.
func newWorker(parent context.Context, env *workerEnv, req WatchRequest, nc normalize.Config) *worker {
	w := &worker{
		env: env, id: req.AssemblyID, req: req, done: make(chan struct{}), started: env.clock.Now(),
		notes: make(chan *transloadit.Status, 1),
		// Lazily: With encodes the field into a buffer of its own at once,
		// about a KiB that every watch would hold; most never log.
		log:     env.log.WithLazy(zap.String("assembly_id", req.AssemblyID)),
		norm:    normalize.New(nc),
		watchID: newWatchID(),
	}
	w.ctx, w.cancel = context.WithCancel(parent)
	return w
}

func (w *worker) stop() { w.cancel() }

// cancelFor stops the watch on request of by: it ends with watch.canceled.
func (w *worker) cancelFor(by string) {
	w.mu.Lock()
	w.canceled, w.canceledBy = true, by
	w.mu.Unlock()
	w.cancel()
}

func (w *worker) cancelRequest() (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.canceledBy, w.canceled
}

// restore takes over the state and event count of a checkpoint.
func (w *worker) restore(state string, events int) {
	w.mu.Lock()
	w.state, w.events = state, events
	w.mu.Unlock()
}

// deliver hands a notified status to the worker without blocking,
// replacing one it has not read yet.
func (w *worker) deliver(st *transloadit.Status) {
	for {
		select {
		case w.notes <- st:
			return
		default:
		}
		select {
		case <-w.notes:
		default:
		}
	}
}

func (w *worker) info(subject string) WatchInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	return WatchInfo{AssemblyID: w.id, Subject: subject, State: w.state,
		Streaming: w.streaming, Events: w.events, StartedAt: w.started}
}

func (w *worker) setState(s string) {
	w.mu.Lock()
	w.state = s
	w.mu.Unlock()
}

func (w *worker) setStreaming(on bool) {
	w.mu.Lock()
	w.streaming = on
	w.mu.Unlock()
}

func (w *worker) countEvent() {
	w.mu.Lock()
	w.events++
	w.mu.Unlock()
}

// run watches until the Assembly ends, the TTL passes or w.ctx ends, and
// returns the outcome. pubCtx bounds the publishes in flight, which may
// outlive w.ctx during a shutdown.
func (w *worker) run(pubCtx context.Context) Outcome {
	defer w.cancel()
	ctx := w.ctx
	r := &watchRun{w: w, env: w.env, pubCtx: pubCtx, target: poller.Target{
		AssemblyID: w.id, StatusURL: w.req.AssemblySSLURL,
		// A fetched status carries every result so far, most of them
		// already emitted from the stream: those need not be decoded.
		// Fetch calls Known on its caller's goroutine, and only this
		// watchRun fetches, on this goroutine, which owns the normalizer;
		// the worker of a re-watch that overlaps this one does not share
		// its fetches (see poller.Target.Known).
		Known: w.norm.KnowsResult,
	}}
	ttl := w.env.clock.NewTimer(w.env.watchTTL)
	defer ttl.Stop()

	url, ok := r.begin(ctx, ttl.C())
	if !ok {
		return r.outcome
	}
	events, stopStream := r.startStream(ctx, url)
	defer stopStream()
	if !r.known && r.streamOff {
		// No stream to wait for: fetch the first status now.
		if r.first(ctx, ttl.C()) {
			return r.outcome
		}
	}
	return r.loop(ctx, ttl.C(), events)
}
