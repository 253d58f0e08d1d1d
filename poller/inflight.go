package poller

import "context"

// takeSlot takes one of the MaxInFlight slots, waiting while all are
// held, unless ctx ends first. Only a wait is reported to
// cfg.OnInFlightWait.
func (p *Poller) takeSlot(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	default:
	}
	hook := p.cfg.OnInFlightWait
	if hook == nil {
		return p.waitSlot(ctx)
	}
	hook(1)
	err := p.waitSlot(ctx)
	reported := false
	defer func() {
		if !reported && err == nil {
			p.releaseSlot() // the hook panicked; the caller never got the slot
		}
	}()
	hook(-1)
	reported = true
	return err
}

func (p *Poller) waitSlot(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Poller) releaseSlot() { <-p.slots }
