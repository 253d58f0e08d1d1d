package poller

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// fetch is the retry loop of one flight: it asks the host that last worked,
// switches hosts when one fails, waits out rate limits and backs off from
// transient failures, within cfg.MaxRetries. It returns the status and the
// start of the request that produced it.
func (p *Poller) fetch(ctx context.Context, e *entry, t Target, hosts []string) (*transloadit.Status, time.Time, error) {
	id := t.AssemblyID
	var (
		retries, transient int
		switched           bool // the one immediate host switch of this fetch is used
	)
	for {
		url, onMachine := p.currentHost(e, hosts)
		v := p.attempt(ctx, e, t, url, onMachine)
		sentAt := v.sentAt
		var wait time.Duration
		switch v.kind {
		case kindStatus:
			p.succeeded(e, id)
			return v.st, sentAt, nil
		case kindCanceled:
			return nil, sentAt, v.err
		case kindPermanent:
			return nil, sentAt, permanent(v.err)
		case kindNotFound:
			// The machine may be recycled and the origin may lag behind a new
			// Assembly: ask the other host once before believing it.
			if !switched && p.switchHost(e, hosts) {
				switched = true
				p.log.Debug("status host does not know the assembly; asking the other", zap.String("assembly_id", id), zap.Error(v.err))
				continue
			}
			return nil, sentAt, v.err
		case kindRateLimited:
			wait = p.rateLimited(e, id, v.err)
		case kindTransient:
			first := p.failed(e, id, v.err)
			// Hosts alternate on every failure; only the first switch of a
			// fetch skips the backoff.
			if p.switchHost(e, hosts) {
				p.logSwitch(first, id, e, hosts)
				if !switched {
					switched = true
					continue
				}
			}
			wait = p.backoff.Delay(transient)
			transient++
		}
		if retries >= p.cfg.MaxRetries {
			return nil, sentAt, fmt.Errorf("%w after %d attempts: %w", ErrRetriesExhausted, retries+1, v.err)
		}
		retries++
		if !retry.Sleep(ctx, p.clock, wait) {
			return nil, sentAt, ctx.Err()
		}
	}
}

// currentHost returns the URL to ask next and whether it is the machine's.
func (p *Poller) currentHost(e *entry, hosts []string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(hosts) == 1 || e.useBase {
		return hosts[len(hosts)-1], false
	}
	return hosts[0], true
}

// switchHost moves e to the other host, if there is one.
func (p *Poller) switchHost(e *entry, hosts []string) bool {
	if len(hosts) < 2 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e.useBase = !e.useBase
	return true
}

// logSwitch logs a switch of host after a failure: at info level for the
// first failure of a run, at debug level after that.
func (p *Poller) logSwitch(first bool, id string, e *entry, hosts []string) {
	url, _ := p.currentHost(e, hosts)
	log := p.log.Debug
	if first {
		log = p.log.Info
	}
	log("status host failed; switching", zap.String("assembly_id", id), zap.String("to", hostOf(url)))
}

// rateLimited records a rate-limit answer and returns the wait it imposes;
// the limiter holds every later request for the Assembly back as long.
func (p *Poller) rateLimited(e *entry, id string, err error) time.Duration {
	var hint time.Duration
	if se, ok := err.(*retry.StatusError); ok {
		hint = se.RetryAfter
	}
	wait := rateLimitWait(hint, p.rand(), p.cfg.MaxRetryWait)
	p.mu.Lock()
	e.hist.penalize(p.clock.Now().Add(wait))
	p.mu.Unlock()
	p.failed(e, id, err)
	if p.cfg.OnRateLimitWait != nil {
		p.cfg.OnRateLimitWait(wait)
	}
	return wait
}

// failed counts a failed attempt and logs the first of a run; the rest go
// to debug. It reports whether this was the first.
func (p *Poller) failed(e *entry, id string, err error) bool {
	p.mu.Lock()
	e.failures++
	n := e.failures
	p.mu.Unlock()
	if n == 1 {
		p.log.Warn("status fetch failing; retrying", zap.String("assembly_id", id), zap.Error(err))
		return true
	}
	p.log.Debug("status fetch failed again", zap.String("assembly_id", id), zap.Int("failures", n), zap.Error(err))
	return false
}

func (p *Poller) succeeded(e *entry, id string) {
	p.mu.Lock()
	n := e.failures
	e.failures = 0
	p.mu.Unlock()
	if n > 0 {
		p.log.Info("status fetch recovered", zap.String("assembly_id", id), zap.Int("failures", n))
	}
}

// report tells cfg.OnRequest how a request went.
func (p *Poller) report(k kind) {
	if p.cfg.OnRequest == nil || k == kindCanceled {
		return
	}
	switch k {
	case kindStatus:
		p.cfg.OnRequest(OutcomeOK)
	case kindNotFound:
		p.cfg.OnRequest(OutcomeNotFound)
	case kindRateLimited:
		p.cfg.OnRequest(OutcomeRateLimited)
	default:
		p.cfg.OnRequest(OutcomeError)
	}
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
