package poller

import (
	"context"
	"errors"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// PollOption configures one call of Poll.
type PollOption func(*pollOptions)

type pollOptions struct {
	onError func(error) bool
}

// OnError hands every failed fetch of Poll to f, which returns whether to
// keep polling; without it Poll keeps polling after transient errors (see
// IsTransient) and returns any other. Errors no retry can fix (a refused
// URL, an invalid Assembly ID) end Poll without reaching f.
func OnError(f func(err error) (more bool)) PollOption {
	return func(o *pollOptions) { o.onError = f }
}

// Poll fetches the Assembly's status now, then every Config.Interval after
// the previous fetch ended, and sooner when trigger fires (still within the
// rate limit; a nil trigger never fires). Each status goes to fn; Poll
// returns nil once fn returns false, or ctx.Err() when ctx ends, or the
// error of a fetch that ends it (see OnError). fn runs on Poll's goroutine.
func (p *Poller) Poll(ctx context.Context, t Target, trigger <-chan struct{}, fn func(*transloadit.Status) (more bool), opts ...PollOption) error {
	var o pollOptions
	for _, opt := range opts {
		opt(&o)
	}
	for {
		st, err := p.Fetch(ctx, t)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			if !o.keepGoing(err) {
				return err
			}
		case !fn(st):
			return nil
		}
		var ok bool
		if trigger, ok = p.waitPoll(ctx, trigger); !ok {
			return ctx.Err()
		}
	}
}

// keepGoing decides whether Poll continues after err.
func (o *pollOptions) keepGoing(err error) bool {
	switch {
	case errors.Is(err, transloadit.ErrURLNotAllowed), errors.Is(err, transloadit.ErrInvalidAssemblyID):
		return false
	case o.onError != nil:
		return o.onError(err)
	}
	return IsTransient(err)
}

// waitPoll waits an interval or a trigger; it returns the trigger channel
// to use from now on (nil once it was closed) and false when ctx ended.
func (p *Poller) waitPoll(ctx context.Context, trigger <-chan struct{}) (<-chan struct{}, bool) {
	t := p.clock.NewTimer(p.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return trigger, false
		case <-t.C():
			return trigger, true
		case _, open := <-trigger:
			if open {
				return trigger, true
			}
			trigger = nil // closed: no more early polls, keep the interval
		}
	}
}
