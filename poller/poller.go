package poller

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Target names the Assembly to fetch.
type Target struct {
	// AssemblyID is the Assembly's ID; required.
	AssemblyID string
	// StatusURL is the Assembly's assembly_ssl_url on its machine host;
	// optional. When empty, the status comes from Config.APIBase.
	StatusURL string
	// Known, when set, names the results the caller holds already: a
	// result for which Known reports true (given its Step and id) may come
	// back holding only its ID, which spares decoding what the caller
	// would discard (see transloadit.DecodeStatusKnown). Nil decodes
	// everything. Fetch calls it on the caller's goroutine, during the
	// call. A status fetched with Known is the caller's alone: a
	// concurrent Fetch for the Assembly waits for that request to end and
	// then makes its own, since the results left out are not the ones it
	// knows.
	Known func(step, id string) bool
}

// Poller fetches Assembly Statuses within Transloadit's per-Assembly rate
// limit. It is safe for concurrent use; concurrent Fetch calls for one
// Assembly share one request. The limit holds across the callers of one
// Poller, so a process should share one. It starts no goroutines, so it
// needs no Close; call Forget when done with an Assembly.
type Poller struct {
	cfg     Config
	client  *http.Client
	clock   retry.Clock
	log     *zap.Logger
	spacing time.Duration
	rand    func() float64
	backoff retry.Backoff // after transient failures
	slots   chan struct{} // one element per request in flight; cap MaxInFlight

	mu         sync.Mutex // guards entries, nForgotten, forgotten, lru, mru and every field of each entry
	entries    map[string]*entry
	nForgotten int      // entries with forgotten set
	forgotten  []*entry // queue of entries to drop once quiet, oldest first (see tracked.go)
	lru, mru   *entry   // ends of the list of entries by last use
}

// entry is the state kept for one Assembly.
type entry struct {
	hist       history
	flight     *flight // the fetch in progress, or nil
	machineURL string  // the StatusURL the host choice below is about
	useBase    bool    // the machine host failed; ask APIBase
	failures   int     // consecutive failed attempts, to log a run of them once
	forgotten  bool    // Forget was called while the state still mattered
	entryLinks
}

// flight is one fetch that concurrent callers share. Its result fields are
// written before done is closed and only read after.
type flight struct {
	done     chan struct{}
	waiters  int // callers waiting besides the leader; guarded by Poller.mu
	st       *transloadit.Status
	err      error
	sentAt   time.Time // start of the request that produced st
	canceled bool      // the leader's context ended; the result is not an answer
	partial  bool      // the leader's Target had Known: st is the leader's alone
}

// New returns a Poller for cfg; it fails with ErrInvalidConfig for a Config
// it cannot use.
func New(cfg Config) (*Poller, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, err
	}
	return &Poller{
		cfg:     cfg,
		client:  httpClient(cfg.HTTPClient, cfg.RequestTimeout, cfg.AllowList),
		clock:   cfg.Clock,
		log:     cfg.Logger,
		spacing: time.Duration(float64(time.Second) / cfg.MaxRPS),
		rand:    rand.Float64,
		backoff: retry.Backoff{Min: cfg.MinBackoff, Max: cfg.MaxBackoff},
		slots:   make(chan struct{}, cfg.MaxInFlight),
		entries: make(map[string]*entry),
	}, nil
}

// Fetch returns the current status of the Assembly, from a request that
// started after the call. A status is returned with a nil error whatever it
// says, an Assembly error included; errors are about the fetch:
// ErrAssemblyNotFound, ErrBodyTooLarge, ErrMalformed, a *retry.StatusError,
// ErrRetriesExhausted, errors wrapping transloadit.ErrURLNotAllowed or
// transloadit.ErrInvalidAssemblyID (no request made), ErrTooManyAssemblies,
// or the context's error. Those that asking again will not fix also
// match ErrPermanent.
//
// Concurrent calls for one Assembly share a request, and may receive the
// same *Status: callers must treat it as read-only. A call whose Target
// has Known shares its request with nobody (see Target.Known).
func (p *Poller) Fetch(ctx context.Context, t Target) (*transloadit.Status, error) {
	hosts, err := p.hosts(t)
	if err != nil {
		return nil, permanent(err)
	}
	called := p.clock.Now()
	for {
		e, f, leader, err := p.join(t.AssemblyID, hosts[0])
		if err != nil {
			return nil, err
		}
		if leader {
			p.lead(ctx, e, f, t, hosts)
		} else if !p.await(ctx, f) {
			return nil, ctx.Err()
		}
		switch {
		case f.canceled && ctx.Err() != nil:
			return nil, ctx.Err()
		case f.canceled:
			continue // the leader gave up; take over
		case f.partial && !leader:
			continue // the leader's status left out what the leader knew
		case f.err == nil && f.sentAt.Before(called):
			continue // answered a request sent before this call
		}
		return f.st, f.err
	}
}

// Forget releases the state kept for the Assembly. State that still
// guards the rate limit (a request in flight or within the last second)
// is released once it no longer does.
func (p *Poller) Forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.entries[id]
	if !ok || e.forgotten {
		return
	}
	if idle(e, p.clock.Now()) {
		p.dropLocked(e)
		return
	}
	p.forgetLocked(e)
}

// hosts validates t and returns the status URLs to try: the machine URL
// first when there is one, the APIBase URL last. The machine URL must have
// the shape of an assembly_ssl_url (AllowList.CheckStatusURL), the check
// intake makes too. Nothing is dialled for a Target that fails.
func (p *Poller) hosts(t Target) ([]string, error) {
	if err := transloadit.CheckAssemblyID(t.AssemblyID); err != nil {
		return nil, fmt.Errorf("poll: %w", err)
	}
	base := transloadit.StatusURL(p.cfg.APIBase, t.AssemblyID)
	if _, err := p.cfg.AllowList.Check(base); err != nil {
		return nil, fmt.Errorf("poll: %w", err)
	}
	if t.StatusURL == "" || t.StatusURL == base {
		return []string{base}, nil
	}
	u, _, err := p.cfg.AllowList.CheckStatusURL(t.StatusURL, t.AssemblyID)
	if err != nil {
		return nil, fmt.Errorf("poll: status url: %w", err)
	}
	return []string{u.String(), base}, nil
}

// join returns the Assembly's entry and the flight to wait for, creating
// one (leader true) when none is in progress.
func (p *Poller) join(id, machineURL string) (*entry, *flight, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, err := p.entryLocked(id)
	if err != nil {
		return nil, nil, false, err
	}
	if e.machineURL != machineURL {
		e.machineURL, e.useBase = machineURL, false
	}
	if f := e.flight; f != nil {
		f.waiters++
		return e, f, false, nil
	}
	e.flight = &flight{done: make(chan struct{})}
	return e, e.flight, true, nil
}

// await waits for f; it reports false when ctx ended first.
func (p *Poller) await(ctx context.Context, f *flight) bool {
	defer func() {
		p.mu.Lock()
		f.waiters--
		p.mu.Unlock()
	}()
	select {
	case <-f.done:
		return true
	case <-ctx.Done():
		return false
	}
}

// lead runs the flight f and hands its result to every waiter. The
// flight ends even if a hook panics, so that no waiter is stranded.
func (p *Poller) lead(ctx context.Context, e *entry, f *flight, t Target, hosts []string) {
	f.err = errFlightAborted
	f.partial = t.Known != nil
	defer func() {
		p.mu.Lock()
		e.flight = nil
		p.touchLocked(e)
		p.mu.Unlock()
		f.canceled = ctx.Err() != nil
		close(f.done)
	}()
	f.st, f.sentAt, f.err = p.fetch(ctx, e, t, hosts)
}

// errFlightAborted is what waiters get when the leading call panicked.
var errFlightAborted = errors.New("poll: shared fetch aborted")

// entryLocked returns id's entry, creating it if there is room. p.mu must
// be held.
func (p *Poller) entryLocked(id string) (*entry, error) {
	if e, ok := p.entries[id]; ok {
		if e.forgotten {
			e.forgotten = false
			p.nForgotten--
		}
		return e, nil
	}
	if len(p.entries) >= p.cfg.MaxTracked || p.nForgotten > 0 {
		p.sweepLocked()
	}
	if len(p.entries) >= p.cfg.MaxTracked {
		return nil, fmt.Errorf("%w: %d", ErrTooManyAssemblies, len(p.entries))
	}
	return p.addLocked(id), nil
}
