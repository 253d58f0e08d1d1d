package publish

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/internal/retry"
)

// noLibraryRetry turns off nats.go's own resend of a message that met no
// stream: it resends on a timer, which could put the message behind later
// ones of its Key. The pipeline resends in order itself.
var noLibraryRetry = jetstream.WithRetryAttempts(0)

// publishKey publishes one Key's messages in order, pipelined, and stops
// at the first message that fails for good.
func (p *JetStream) publishKey(ctx context.Context, msgs []Message) error {
	release, err := p.lanes.acquire(ctx, p.state.stop, msgs[0].Key)
	if err != nil {
		return err
	}
	pl := &pipeline{p: p, msgs: msgs, window: p.cfg.MaxInFlightPerKey,
		bo: retry.Backoff{Min: p.cfg.MinBackoff, Max: p.cfg.MaxBackoff}}
	err = pl.run(ctx)
	if len(pl.sent) > 0 {
		// The caller stopped waiting but these may still be stored: keep
		// the Key and their slots until they settle, so a later message
		// for this Key cannot overtake them.
		p.settleLater(pl.sent, release)
		return err
	}
	release()
	return err
}

// pipeline is one Key's messages on their way: msgs[:acked] are
// acknowledged, and sent holds the futures of the next len(sent), oldest
// first. Only the goroutine of its publishKey uses it.
type pipeline struct {
	p       *JetStream
	msgs    []Message
	acked   int
	sent    []jetstream.PubAckFuture
	window  int // bound on len(sent): MaxInFlightPerKey, or 1 after a failure
	attempt int // consecutive failures of the oldest message, for the backoff
	bo      retry.Backoff
}

func (pl *pipeline) run(ctx context.Context) error {
	for pl.acked < len(pl.msgs) {
		if err := pl.fill(ctx); err != nil {
			return err
		}
		if err := pl.settleOldest(ctx); err != nil {
			return err
		}
	}
	return nil
}

// fill sends messages until the window is full. With nothing in flight
// it waits for the connection and a slot; otherwise it sends only what
// it can without waiting, and the acks in flight go first.
func (pl *pipeline) fill(ctx context.Context) error {
	p := pl.p
	for next := pl.acked + len(pl.sent); next < len(pl.msgs) && len(pl.sent) < pl.window; next++ {
		m := pl.msgs[next]
		if len(pl.sent) > 0 {
			if !p.nc.IsConnected() || !p.tryAcquireSlot() {
				return nil
			}
		} else if err := pl.waitToSend(ctx, m); err != nil {
			return err
		}
		paf, err := p.js.PublishMsgAsync(m.natsMsg(), noLibraryRetry)
		if err != nil {
			p.releaseSlot()
			if len(pl.sent) > 0 {
				return nil // the oldest settles first; this one is sent again after it
			}
			return pl.failed(ctx, err)
		}
		pl.sent = append(pl.sent, paf)
	}
	return nil
}

func (pl *pipeline) waitToSend(ctx context.Context, m Message) error {
	if err := awaitConnected(ctx, pl.p.state.stop, pl.p.nc); err != nil {
		return publishErr(m, err)
	}
	if err := pl.p.acquireSlot(ctx); err != nil {
		return publishErr(m, err)
	}
	return nil
}

// settleOldest waits for the ack of the oldest message in flight.
func (pl *pipeline) settleOldest(ctx context.Context) error {
	if len(pl.sent) == 0 {
		return nil
	}
	ack, settled, err := pl.p.awaitAck(ctx, pl.sent[0])
	if !settled {
		return publishErr(pl.msgs[pl.acked], err)
	}
	pl.p.releaseSlot()
	pl.sent = pl.sent[1:]
	if err != nil {
		pl.drain()
		return pl.failed(ctx, err)
	}
	pl.p.succeeded(pl.msgs[pl.acked], ack)
	pl.acked++
	pl.attempt = 0
	pl.window = pl.p.cfg.MaxInFlightPerKey
	return nil
}

// drain waits for every message sent after a failed one to settle (the
// ack timeout bounds each wait), so that none of them is still on its way
// when the tail is sent again. What they were is of no use: those stored
// are acknowledged again as duplicates.
func (pl *pipeline) drain() {
	for _, paf := range pl.sent {
		select {
		case <-paf.Ok():
		case <-paf.Err():
		case <-pl.p.state.stop:
			return // Close gave up: settleLater frees the rest
		}
		pl.sent = pl.sent[1:]
		pl.p.releaseSlot()
	}
}

// failed handles a failed attempt at the oldest unacknowledged message:
// it returns the error when retrying cannot help, else waits out the
// backoff and narrows the window to that message.
func (pl *pipeline) failed(ctx context.Context, err error) error {
	m := pl.msgs[pl.acked]
	err, permanent := classifyPublishErr(err)
	pl.p.failed(m, err, !permanent)
	if permanent {
		return publishErr(m, err)
	}
	pl.window = 1
	if err := waitRetry(ctx, pl.p.state.stop, pl.bo.Delay(pl.attempt)); err != nil {
		return publishErr(m, err)
	}
	pl.attempt++
	return nil
}

// awaitAck returns the attempt's ack or error (settled), or, when ctx ends
// or the publisher is closed first, that error with settled false.
func (p *JetStream) awaitAck(ctx context.Context, paf jetstream.PubAckFuture) (ack *jetstream.PubAck, settled bool, err error) {
	select {
	case ack := <-paf.Ok():
		return ack, true, nil
	case err := <-paf.Err():
		return nil, true, err
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case <-p.state.stop:
		return nil, false, ErrPublisherClosed
	}
}

// settleLater waits, in a goroutine Close waits for, until abandoned
// attempts are acknowledged, fail or time out, then frees their slots and
// the Key.
func (p *JetStream) settleLater(pafs []jetstream.PubAckFuture, releaseKey func()) {
	p.state.calls.Go(func() {
		defer releaseKey()
		for _, paf := range pafs {
			select {
			case <-paf.Ok():
			case <-paf.Err():
			case <-p.state.stop:
			}
			p.releaseSlot()
		}
	})
}
