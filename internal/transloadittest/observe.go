package transloadittest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Counters are totals since the Server started.
type Counters struct {
	Created           int // Assemblies created (HTTP or Create)
	Canceled          int // Assemblies canceled (DELETE, Cancel, CancelAfterResults)
	StatusRequests    int // status GETs with a valid-looking ID, both hosts
	StatusHooked      int // status GETs answered by OnStatus
	RateLimited       int // status GETs answered 429
	NotFound          int // status GETs answered 404
	Injected5xx       int // status GETs answered with an injected 5xx
	InjectedMalformed int // status GETs answered with truncated JSON
	StreamConnections int // update stream connections accepted
	StreamsRefused    int // update stream requests refused by RefuseSSE
	StreamsDropped    int // update stream connections cut (faults, DropStreams, machine down)
}

// Counters returns a snapshot of the Server's counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counters
}

// Create creates an Assembly from a Script through the same engine as
// POST /assemblies and returns its creation status (assembly_ssl_url and
// update_stream_url on MachineURL). Errors: ErrInvalidScript,
// ErrDuplicateID, ErrTooManyAssemblies, ErrClosed, or ctx's error.
func (s *Server) Create(ctx context.Context, sc Script) (*transloadit.Status, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := newPlan(sc, s.cfg.tick)
	if err != nil {
		return nil, err
	}
	_, body, err := s.create(p)
	if err != nil {
		return nil, err
	}
	return transloadit.DecodeStatus(body)
}

// Status returns the Assembly's current status as a status GET would
// serve it, without counting it or applying the rate limit or faults.
func (s *Server) Status(id string) (*transloadit.Status, bool) {
	s.mu.Lock()
	a := s.assemblies[id]
	if a == nil {
		s.mu.Unlock()
		return nil, false
	}
	_, body := s.statusLocked(a)
	s.mu.Unlock()
	st, err := transloadit.DecodeStatus(body)
	if err != nil {
		panic(fmt.Sprintf("transloadittest: own status does not decode: %v", err))
	}
	return st, true
}

// Cancel cancels a running Assembly as DELETE /assemblies/<id> does.
// Errors: ErrNotFound, ErrFinished.
func (s *Server) Cancel(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.assemblies[id]
	if a == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return s.cancelLocked(a, s.cfg.now())
}

// Pause holds the Assembly's lifecycle before its next change until
// Resume. Errors: ErrNotFound.
func (s *Server) Pause(id string) error { return s.setPaused(id, true) }

// Resume lets a paused Assembly go on. Errors: ErrNotFound.
func (s *Server) Resume(id string) error { return s.setPaused(id, false) }

func (s *Server) setPaused(id string, paused bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.assemblies[id]
	if a == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	a.paused = paused
	s.notifyLocked()
	return nil
}

// SetFaults replaces the Server-wide faults; Assemblies' own faults still
// win field by field.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// SetAssemblyFaults replaces one Assembly's faults. Errors: ErrNotFound.
func (s *Server) SetAssemblyFaults(id string, f Faults) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.assemblies[id]
	if a == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	a.faults = f
	return nil
}

// SetOnStatus sets the OnStatus hook safely while requests are running.
func (s *Server) SetOnStatus(fn func(id string, r *http.Request) (code int, body []byte, handled bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.OnStatus = fn
}

// recordStatusLocked notes a status GET's arrival and returns the
// arrivals for id.
func (s *Server) recordStatusLocked(a *assembly, id string, now time.Time) []time.Time {
	s.notifyLocked()
	if a != nil {
		a.statusReqs = appendBounded(a.statusReqs, now)
		return a.statusReqs
	}
	reqs, ok := s.unknownReqs[id]
	if !ok && len(s.unknownReqs) >= maxUnknownIDs {
		return []time.Time{now}
	}
	reqs = appendBounded(reqs, now)
	s.unknownReqs[id] = reqs
	return reqs
}

func appendBounded(ts []time.Time, t time.Time) []time.Time {
	if len(ts) >= maxStatusReqs {
		ts = append(ts[:0:0], ts[len(ts)-maxStatusReqs/2:]...)
	}
	return append(ts, t)
}

// rateLimit applies the status limit to arrivals (the last one is the
// current request): more than limit arrivals inside the window refuse it.
// Refused requests count too, so a client that ignores retryIn stays
// refused. retryIn is when the next request would pass.
func (s *Server) rateLimit(reqs []time.Time, now time.Time) (retryIn time.Duration, limited bool) {
	n, window := s.cfg.rateLimit, s.cfg.rateWindow
	if n <= 0 || len(reqs) <= n {
		return 0, false
	}
	inWindow := 0
	for i := len(reqs) - 1; i >= 0 && reqs[i].After(now.Add(-window)); i-- {
		inWindow++
	}
	if inWindow <= n {
		return 0, false
	}
	// The next request passes once the n-th most recent arrival has left
	// the window.
	retryIn = reqs[len(reqs)-n].Add(window).Sub(now)
	return (retryIn + time.Millisecond - 1).Truncate(time.Millisecond), true
}

// StatusRequests returns the arrival times of status GETs for id on both
// hosts (the most recent few thousand), including refused ones.
func (s *Server) StatusRequests(id string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.assemblies[id]; a != nil {
		return slices.Clone(a.statusReqs)
	}
	return slices.Clone(s.unknownReqs[id])
}

// MaxStatusRequestsInWindow returns the largest number of status GETs for
// id that arrived within any window of that length (strictly less than
// window apart).
func (s *Server) MaxStatusRequestsInWindow(id string, window time.Duration) int {
	return maxInWindow(s.StatusRequests(id), window)
}

func maxInWindow(ts []time.Time, window time.Duration) int {
	best, i := 0, 0
	for j := range ts {
		for ts[j].Sub(ts[i]) >= window {
			i++
		}
		best = max(best, j-i+1)
	}
	return best
}

// AwaitStatusRequests waits until at least n status GETs for id arrived
// (on either host, refused ones included). Errors: ctx's error,
// ErrClosed.
func (s *Server) AwaitStatusRequests(ctx context.Context, id string, n int) error {
	return s.await(ctx, func() bool {
		if a := s.assemblies[id]; a != nil {
			return len(a.statusReqs) >= n
		}
		return len(s.unknownReqs[id]) >= n
	})
}

// StreamConnections returns how many update stream connections were
// accepted for id.
func (s *Server) StreamConnections(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.assemblies[id]; a != nil {
		return a.totalStreams
	}
	return 0
}

// OpenStreams returns how many update stream connections for id are open
// now.
func (s *Server) OpenStreams(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.assemblies[id]; a != nil {
		return a.openStreams
	}
	return 0
}

// AwaitStreamConnected waits until an update stream connection for id is
// open. Errors: ctx's error, ErrClosed.
func (s *Server) AwaitStreamConnected(ctx context.Context, id string) error {
	return s.await(ctx, func() bool {
		a := s.assemblies[id]
		return a != nil && a.openStreams > 0
	})
}

// AwaitStreamConnections waits until at least n update stream connections
// for id were accepted in total. Errors: ctx's error, ErrClosed.
func (s *Server) AwaitStreamConnections(ctx context.Context, id string, n int) error {
	return s.await(ctx, func() bool {
		a := s.assemblies[id]
		return a != nil && a.totalStreams >= n
	})
}

// AwaitState waits until pred holds for the Assembly's status (as Status
// returns it). pred runs without the Server's lock held. Errors: ctx's
// error, ErrClosed, ErrNotFound.
func (s *Server) AwaitState(ctx context.Context, id string, pred func(*transloadit.Status) bool) error {
	for {
		s.mu.Lock()
		ch, closed := s.changed, s.closed
		s.mu.Unlock()
		st, ok := s.Status(id)
		if !ok {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		if pred(st) {
			return nil
		}
		if closed {
			return ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// await waits until cond (run under the Server's lock) holds.
func (s *Server) await(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ok, ch, closed := cond(), s.changed, s.closed
		s.mu.Unlock()
		switch {
		case ok:
			return nil
		case closed:
			return ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
