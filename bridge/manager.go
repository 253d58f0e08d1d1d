package bridge

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlbridge/tlbridge/bridge/normalize"
	"github.com/tlbridge/tlbridge/bridge/publish"

	"go.uber.org/zap"
	"golang.org/x/sync/semaphore"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/poller"
	"github.com/tlbridge/tlbridge/schemas"
)

// ManagerConfig configures a Manager. Zero values mean the documented
// defaults.
type ManagerConfig struct {
	// Poller fetches statuses; required.
	Poller *poller.Poller
	// Publisher delivers events; required.
	Publisher publish.Publisher
	// AllowList gates every URL a watch request carries.
	AllowList transloadit.AllowList
	// Prefix is the subject prefix; default schemas.DefaultPrefix.
	Prefix string
	// Instance names this bridge; events carry source "tlbridge/<Instance>".
	Instance string
	// PollInterval is the poll period while the stream is down; default
	// DefaultPollInterval.
	PollInterval time.Duration
	// WatchTTL bounds a watch; default 24h, then watch.expired is emitted.
	WatchTTL time.Duration
	// NotFoundGrace is how long an Assembly may stay unknown before the
	// watch fails with watch.failed; default DefaultNotFoundGrace.
	NotFoundGrace time.Duration
	// GiveUpAfter ends a watch with watch.failed after this long of
	// nothing but failed status fetches (no stream news either); default
	// DefaultGiveUpAfter. Meanwhile fetches back off up to a minute apart.
	GiveUpAfter time.Duration
	// MaxWatches bounds concurrent watches; default 10000.
	MaxWatches int
	// MaxPayload bounds one event's encoded size; default
	// schemas.DefaultMaxPayload, the NATS server's default.
	MaxPayload int
	// PayloadLimit, if set, is asked for the bound when a watch starts
	// (e.g. the connection's current max_payload); a result <= 0 falls
	// back to MaxPayload.
	PayloadLimit func() int
	// DisableStream makes every watch poll only.
	DisableStream bool
	// MaxEventSize bounds one update stream event; 0 is the stream
	// client's default. A larger event switches the watch to polling.
	MaxEventSize int
	// ReadAhead bounds the memory of update-stream events one watch reads
	// before applying them; default 256 KiB. ReadAheadTotal bounds it
	// across all watches; default 64 MiB. A decoded event counts three
	// times its payload, about what it holds. Past either bound the
	// stream is not read, and TCP (or HTTP/2 flow control) pushes back on
	// the upstream.
	ReadAhead, ReadAheadTotal int64
	// HTTPClient is used for update streams; nil means a default client.
	HTTPClient *http.Client
	// Clock drives the watches' timers (poll period, TTL, not-found grace);
	// if nil, real time. The Poller has its own.
	Clock retry.Clock
	// Metrics may be nil.
	Metrics *Metrics
	// Logger may be nil.
	Logger *zap.Logger
	// OnEvent, if set, is called after each event is acknowledged, with
	// the event and its encoding. data is only valid during the call: the
	// bridge reuses its buffer afterwards, so copy what you keep.
	OnEvent func(ev schemas.Event, data []byte)
	// OnWatchEnd, if set, is called when a watch ends, with its outcome.
	OnWatchEnd func(id string, outcome Outcome)
	// Durable, if set, keeps watches in JetStream, shared by every
	// replica on the same resources: requests are queued, and this
	// Manager runs those it takes from the queue (see [DurableConfig]).
	// Nil keeps watches in this process, unless DurableLater is set.
	Durable *DurableConfig
	// DurableLater announces durable watches that [Manager.StartDurable]
	// starts once the JetStream resources exist; until then watch
	// requests are refused with NOT_READY.
	DurableLater bool
}

const finishedMemory = 4096

// DefaultPollInterval is how often a worker polls while its update
// stream is down: the status endpoint's limit allows more, but a status
// every 2 s is news enough.
const DefaultPollInterval = 2 * time.Second

// Defaults of the give-up rules in [ManagerConfig].
const (
	DefaultNotFoundGrace = time.Minute
	DefaultGiveUpAfter   = 10 * time.Minute
)

// Manager owns the watches: one worker per Assembly, at most MaxWatches.
// Its methods are safe for concurrent use.
type Manager struct {
	cfg ManagerConfig
	env *workerEnv // handed to every worker
	log *zap.Logger

	ctx       context.Context // workers' observation context
	cancel    context.CancelFunc
	pubCtx    context.Context // in-flight publishes; outlives ctx during shutdown
	pubCancel context.CancelFunc
	wg        sync.WaitGroup
	dur       atomic.Pointer[durable] // set once durable watches started

	mu       sync.Mutex // guards closed, watches, finished, order
	closed   bool
	watches  map[string]*worker
	finished map[string]Outcome // recently ended watches
	order    []string           // finished ids, oldest first, bounding finished
}

// NewManager validates cfg and returns a Manager ready to Watch. The caller
// must call Shutdown.
func NewManager(cfg ManagerConfig) (*Manager, error) {
	if cfg.Poller == nil || cfg.Publisher == nil {
		return nil, errors.New("bridge: manager needs a Poller and a Publisher")
	}
	setManagerDefaults(&cfg)
	m := &Manager{cfg: cfg, log: cfg.Logger, watches: map[string]*worker{}, finished: map[string]Outcome{}}
	m.env = &workerEnv{
		poller: cfg.Poller, publisher: cfg.Publisher, clock: cfg.Clock, metrics: cfg.Metrics, log: cfg.Logger,
		pollInterval: cfg.PollInterval, watchTTL: cfg.WatchTTL, notFoundGrace: cfg.NotFoundGrace, giveUpAfter: cfg.GiveUpAfter,
		disableStream: cfg.DisableStream, maxEventSize: cfg.MaxEventSize, allowList: cfg.AllowList, httpClient: cfg.HTTPClient, onEvent: cfg.OnEvent,
		readAhead: cfg.ReadAhead, readAheadTotal: cfg.ReadAheadTotal, readAheadAll: semaphore.NewWeighted(cfg.ReadAheadTotal),
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.pubCtx, m.pubCancel = context.WithCancel(context.Background())
	if cfg.Durable != nil {
		if err := m.StartDurable(*cfg.Durable); err != nil {
			m.cancel()
			m.pubCancel()
			return nil, err
		}
	}
	return m, nil
}

// source is the CloudEvents source of the events this Manager publishes.
func (m *Manager) source() string { return "tlbridge/" + m.cfg.Instance }

func setManagerDefaults(c *ManagerConfig) {
	if c.Prefix == "" {
		c.Prefix = schemas.DefaultPrefix
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.WatchTTL <= 0 {
		c.WatchTTL = 24 * time.Hour
	}
	if c.NotFoundGrace <= 0 {
		c.NotFoundGrace = DefaultNotFoundGrace
	}
	if c.GiveUpAfter <= 0 {
		c.GiveUpAfter = DefaultGiveUpAfter
	}
	if c.MaxWatches <= 0 {
		c.MaxWatches = 10000
	}
	if c.MaxPayload <= 0 {
		c.MaxPayload = schemas.DefaultMaxPayload
	}
	if c.ReadAhead <= 0 {
		c.ReadAhead = defaultReadAhead
	}
	if c.ReadAheadTotal <= 0 {
		c.ReadAheadTotal = defaultReadAheadTotal
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Clock == nil {
		c.Clock = retry.SystemClock()
	}
}

// payloadLimit is the event size bound for a watch starting now.
func (m *Manager) payloadLimit() int {
	if m.cfg.PayloadLimit != nil {
		if n := m.cfg.PayloadLimit(); n > 0 {
			return n
		}
	}
	return m.cfg.MaxPayload
}

// SubjectFor returns the wildcard subject of all events of one Assembly.
func (m *Manager) SubjectFor(id string) string {
	return schemas.AssemblySubject(m.cfg.Prefix, id) + ".>"
}

// accepted is the reply to a watch request that was taken.
func (m *Manager) accepted(id string) WatchReply {
	return WatchReply{OK: true, AssemblyID: id, Subject: m.SubjectFor(id)}
}

// Watch starts watching an Assembly, or confirms an existing watch: the
// same request twice gives the same reply and one worker. A refused
// request returns a *WatchError; a ctx that ended first, its error, and
// nothing is started.
func (m *Manager) Watch(ctx context.Context, req WatchRequest) (WatchReply, error) {
	reply, _, err := m.watch(ctx, req)
	return reply, err
}

// watch is Watch, and also reports whether the watch existed before
// (running, pending or finished): the HTTP API answers 200 rather than
// 201 then.
func (m *Manager) watch(ctx context.Context, req WatchRequest) (reply WatchReply, existed bool, err error) {
	if err := validateRequest(req, m.cfg.AllowList); err != nil {
		return ErrorReply(err), false, err
	}
	if err := ctx.Err(); err != nil {
		return ErrorReply(err), false, err
	}
	if m.shared() {
		return m.watchDurable(ctx, req)
	}
	ok := m.accepted(req.AssemblyID)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.watches[req.AssemblyID] != nil && !m.closed {
		return ok, true, nil
	}
	if err := m.refuseLocked(); err != nil {
		return ErrorReply(err), false, err
	}
	m.startLocked(m.newWorker(req))
	return ok, false, nil
}

// newWorker returns a worker for req, its events sized for the payload
// limit in force now.
func (m *Manager) newWorker(req WatchRequest) *worker {
	return newWorker(m.ctx, m.env, req, normalize.Config{
		AssemblyID: req.AssemblyID, Prefix: m.cfg.Prefix,
		Source: m.source(), MaxPayload: m.payloadLimit(),
	})
}

// startLocked registers w and runs it. m.mu must be held.
func (m *Manager) startLocked(w *worker) {
	m.watches[w.id] = w
	delete(m.finished, w.id)
	m.wg.Add(1)
	m.cfg.Metrics.watchDelta(1)
	go m.runWorker(w)
}

func (m *Manager) runWorker(w *worker) {
	defer m.wg.Done()
	outcome := m.runWatch(w)
	m.cfg.Metrics.watchDelta(-1)
	m.cfg.Poller.Forget(w.id)
	m.mu.Lock()
	// An Unwatch may have let a new watch of the same Assembly take the
	// slot already; that one's outcome is the one to remember.
	if m.watches[w.id] == w {
		delete(m.watches, w.id)
		m.rememberLocked(w.id, outcome)
	}
	m.mu.Unlock()
	close(w.done)
	if d := m.dur.Load(); d != nil {
		d.freed()
	}
	m.log.Info("watch ended", zap.String("assembly_id", w.id), zap.String("outcome", string(outcome)))
	if m.cfg.OnWatchEnd != nil {
		m.cfg.OnWatchEnd(w.id, outcome)
	}
}

// rememberLocked keeps the outcome of an ended watch for Wait, bounded to
// the most recent ones. m.mu must be held.
func (m *Manager) rememberLocked(id string, outcome Outcome) {
	if _, ok := m.finished[id]; !ok {
		m.order = append(m.order, id)
	}
	m.finished[id] = outcome
	for len(m.order) > finishedMemory {
		delete(m.finished, m.order[0])
		m.order = m.order[1:]
	}
}

// Unwatch stops a watch; it reports whether the Assembly was watched.
func (m *Manager) Unwatch(id string) bool {
	w := m.detach(id, OutcomeStopped)
	if w == nil {
		return false
	}
	w.stop()
	return true
}

// detach takes the worker of id out of the table, remembering outcome for
// it, and returns it (nil when none runs here). Out of the table at once,
// so that a Watch right after starts a new worker instead of confirming
// the one that is stopping; the caller stops it.
func (m *Manager) detach(id string, outcome Outcome) *worker {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.watches[id]
	if w != nil {
		delete(m.watches, id)
		m.rememberLocked(id, outcome)
	}
	return w
}

// Get describes one running watch.
func (m *Manager) Get(id string) (WatchInfo, bool) {
	m.mu.Lock()
	w := m.watches[id]
	m.mu.Unlock()
	if w == nil {
		return WatchInfo{}, false
	}
	return w.info(m.SubjectFor(id)), true
}

// List describes every running watch, ordered by Assembly ID.
func (m *Manager) List() []WatchInfo {
	m.mu.Lock()
	ws := make([]*worker, 0, len(m.watches))
	for _, w := range m.watches {
		ws = append(ws, w)
	}
	m.mu.Unlock()
	out := make([]WatchInfo, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.info(m.SubjectFor(w.id)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AssemblyID < out[j].AssemblyID })
	return out
}

// Wait blocks until the watch of id ends and returns its outcome. It
// returns a NOT_FOUND *WatchError for an Assembly neither watched nor
// recently finished by this Manager: with durable watches, a watch still
// queued or running on another replica is not known here.
func (m *Manager) Wait(ctx context.Context, id string) (Outcome, error) {
	m.mu.Lock()
	w := m.watches[id]
	outcome, done := m.finished[id]
	m.mu.Unlock()
	if w == nil {
		if done {
			return outcome, nil
		}
		return "", &WatchError{CodeNotFound, "assembly " + id + " is not watched"}
	}
	select {
	case <-w.done:
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.finished[id], nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Active returns the number of running watches.
func (m *Manager) Active() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.watches)
}

// Shutdown refuses new watches, stops every worker and lets publishes in
// flight finish. With durable watches, each running watch is handed back
// to the queue at once, for another replica to take over. When ctx ends
// first, in-flight publishes are abandoned (their messages keep their
// IDs, so a later publish is de-duplicated) and ctx.Err() is returned.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	d := m.dur.Load()
	if d != nil {
		// No new watch is taken while the running ones are handed back.
		d.stop()
	}
	m.cancel()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		m.pubCancel()
		<-done
	}
	m.pubCancel()
	if d != nil {
		// Only now: a watch still publishing keeps its message alive.
		d.beats.stop()
	}
	return err
}
