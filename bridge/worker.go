package bridge

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/bridge/normalize"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/stream"
)

// streamPollFactor stretches the poll period while the update stream is
// connected: the stream carries the news, the slow poll is a safety net
// for anything it missed.
const streamPollFactor = 10

// worker watches one Assembly: stream first, polling while the stream is
// down, and a status fetch before the terminal event.
type worker struct {
	m      *Manager
	id     string
	req    WatchRequest
	norm   *normalize.Normalizer
	log    *zap.Logger
	cancel context.CancelFunc // set before run starts; stops this watch
	ctx    context.Context
	done   chan struct{} // closed by the manager after run returned
	// seed, when set, is a status from a notification that started the
	// watch: it stands in for the first fetch.
	seed *transloadit.Status
	// notes carries statuses from later notifications; it holds the latest
	// only, which is enough since a status includes all before it.
	notes chan *transloadit.Status

	mu        sync.Mutex // guards state, streaming, events
	state     string
	streaming bool
	events    int
	started   time.Time
}

func newWorker(m *Manager, req WatchRequest) *worker {
	w := &worker{
		m: m, id: req.AssemblyID, req: req, done: make(chan struct{}), started: m.cfg.Clock.Now(),
		notes: make(chan *transloadit.Status, 1),
		log:   m.log.With(zap.String("assembly_id", req.AssemblyID)),
		norm: normalize.New(normalize.Config{
			AssemblyID: req.AssemblyID, Prefix: m.cfg.Prefix,
			Source: "tlbridge/" + m.cfg.Instance, MaxPayload: m.payloadLimit(),
		}),
	}
	w.ctx, w.cancel = context.WithCancel(m.ctx)
	return w
}

func (w *worker) stop() { w.cancel() }

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

func (w *worker) info() WatchInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	return WatchInfo{AssemblyID: w.id, Subject: w.m.SubjectFor(w.id), State: w.state,
		Streaming: w.streaming, Events: w.events, StartedAt: w.started}
}

// streamMsg is what the stream goroutine tells the worker loop, in order.
type streamMsg struct {
	update    *stream.Update
	connected bool
	lost      bool
	ended     bool
	err       error
}

// run is the worker's loop; it returns the watch outcome. w.ctx stops the
// observation; pubCtx bounds the publishes in flight.
func (w *worker) run(pubCtx context.Context) string {
	defer w.cancel()
	ctx := w.ctx
	l := &loop{w: w, pubCtx: pubCtx, target: poller.Target{AssemblyID: w.id, StatusURL: w.req.AssemblySSLURL}}
	ttl := w.m.cfg.Clock.NewTimer(w.m.cfg.WatchTTL)
	defer ttl.Stop()

	st, source := w.seed, schemas.SourceNotify
	if st == nil {
		var outcome string
		if st, outcome = l.firstStatus(ctx, ttl.C()); outcome != "" {
			return outcome
		}
		source = schemas.SourcePoll
	}
	if l.observeStatus(st, source) {
		return l.outcome
	}
	msgs, stopStream := l.startStream(ctx, st)
	defer stopStream()
	return l.loop(ctx, ttl.C(), msgs)
}

type loop struct {
	w         *worker
	pubCtx    context.Context
	target    poller.Target
	outcome   string
	streaming bool
	streamOff bool // the stream ended for good; poll only
	notFound  time.Time
	failures  int // consecutive failed fetches
	pubFailed bool
}

// firstStatus fetches until the Assembly is known, giving up after
// NotFoundGrace of "not found" answers or at the TTL.
func (l *loop) firstStatus(ctx context.Context, ttl <-chan time.Time) (*transloadit.Status, string) {
	for {
		st, err := l.fetch(ctx)
		if err == nil {
			return st, ""
		}
		if o := l.fetchFailed(ctx, err); o != "" {
			return nil, o
		}
		if o := l.waitRetry(ctx, ttl); o != "" {
			return nil, o
		}
	}
}

func (l *loop) fetch(ctx context.Context) (*transloadit.Status, error) {
	st, err := l.w.m.cfg.Poller.Fetch(ctx, l.target)
	if err == nil {
		l.notFound = time.Time{}
		if l.failures > 0 {
			l.w.log.Info("status fetch recovered", zap.Int("failures", l.failures))
			l.failures = 0
		}
	}
	return st, err
}

// waitRetry waits one poll period before the first status is fetched
// again; it returns the outcome that ends the watch meanwhile, or "".
func (l *loop) waitRetry(ctx context.Context, ttl <-chan time.Time) string {
	t := l.w.m.cfg.Clock.NewTimer(l.w.m.cfg.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return OutcomeStopped
	case <-ttl:
		return l.giveUp(normalize.GiveUpExpired, "watch TTL reached before the Assembly was seen")
	case <-t.C():
		return ""
	}
}

func (l *loop) now() time.Time { return l.w.m.cfg.Clock.Now() }

// fetchFailed decides what a failed fetch means: "" to keep going, or the
// outcome that ends the watch.
func (l *loop) fetchFailed(ctx context.Context, err error) string {
	switch {
	case ctx.Err() != nil:
		return OutcomeStopped
	case errors.Is(err, transloadit.ErrURLNotAllowed):
		return l.giveUp(normalize.GiveUpFailed, err.Error())
	case errors.Is(err, poller.ErrAssemblyNotFound):
		if l.notFound.IsZero() {
			l.notFound = l.now()
		}
		if l.now().Sub(l.notFound) >= l.w.m.cfg.NotFoundGrace {
			return l.giveUp(normalize.GiveUpFailed, "assembly not found upstream")
		}
	}
	// A failure that repeats is logged once; the recovery says how long
	// it lasted.
	if l.failures++; l.failures == 1 {
		l.w.log.Warn("status fetch failed; retrying", zap.Error(err))
	} else {
		l.w.log.Debug("status fetch failed again", zap.Int("failures", l.failures), zap.Error(err))
	}
	return ""
}

func (l *loop) giveUp(reason normalize.GiveUpReason, detail string) string {
	now := l.now()
	l.publish(l.w.norm.GiveUp(reason, now, detail), now)
	if reason == normalize.GiveUpExpired {
		return OutcomeExpired
	}
	return OutcomeWatchFailed
}

// observeStatus feeds a full status to the normalizer and publishes what
// it implies; it reports whether the watch is over.
func (l *loop) observeStatus(st *transloadit.Status, source string) bool {
	now := l.now()
	l.w.setState(string(st.OK))
	l.publish(l.w.norm.Observe(normalize.StatusObservation{Source: source, At: now, Status: st}), now)
	return l.finished(st.Outcome())
}

func (l *loop) observeUpdate(u *stream.Update) bool {
	at := u.ReceivedAt
	if at.IsZero() {
		at = l.now()
	}
	l.publish(l.w.norm.Observe(normalize.UpdateObservation{At: at, Update: u}), at)
	// Only an assembly_error carrying the Assembly's whole failed status
	// ends the events from the stream alone.
	outcome := transloadit.OutcomeFailed
	if u.Error != nil {
		outcome = u.Error.Outcome()
		l.w.setState(string(u.Error.OK))
	}
	return l.finished(outcome)
}

// finished reports whether the watch is over, and sets its outcome: the
// terminal event was published, or publishing gave up (then the watch
// merely stopped; its last events were not delivered).
func (l *loop) finished(o transloadit.Outcome) bool {
	if l.pubFailed {
		l.outcome = OutcomeStopped
		return true
	}
	if !l.w.norm.Done() {
		return false
	}
	switch o {
	case transloadit.OutcomeCompleted:
		l.outcome = OutcomeCompleted
	case transloadit.OutcomeCanceled:
		l.outcome = OutcomeCanceled
	case transloadit.OutcomeAborted:
		l.outcome = OutcomeAborted
	default:
		l.outcome = OutcomeFailed
	}
	return true
}
