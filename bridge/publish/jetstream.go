package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/retry"
)

// JetStreamConfig configures a [JetStream]. Zero values mean the
// documented defaults.
type JetStreamConfig struct {
	// MaxInFlight bounds unacknowledged messages across all Keys; default 256.
	MaxInFlight int
	// AckTimeout bounds the wait for one message's acknowledgement before it
	// is sent again with the same ID; default 5s.
	AckTimeout time.Duration
	// MinBackoff and MaxBackoff bound the jittered exponential wait between
	// attempts at one message; defaults 100ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// Logger: if nil, no logs.
	Logger *zap.Logger
	// Observer: if nil, none.
	Observer Observer
}

// Defaults shared by the NATS publishers.
const (
	defaultMaxInFlight = 256
	defaultAckTimeout  = 5 * time.Second
	defaultMinBackoff  = 100 * time.Millisecond
	defaultMaxBackoff  = 5 * time.Second
)

func (c *JetStreamConfig) setDefaults() error {
	if c.MaxInFlight < 0 || c.AckTimeout < 0 || c.MinBackoff < 0 || c.MaxBackoff < 0 {
		return fmt.Errorf("%w: JetStreamConfig has a negative limit", ErrInvalidNATSConfig)
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = defaultMaxInFlight
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = defaultAckTimeout
	}
	c.MinBackoff, c.MaxBackoff = backoffDefaults(c.MinBackoff, c.MaxBackoff)
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return nil
}

func backoffDefaults(lo, hi time.Duration) (time.Duration, time.Duration) {
	if lo == 0 {
		lo = defaultMinBackoff
	}
	if hi == 0 {
		hi = defaultMaxBackoff
	}
	return lo, max(lo, hi)
}

// JetStream publishes to JetStream and waits for acknowledgements.
//
// Each message carries Nats-Msg-Id = [Message.ID]. A message that is not
// acknowledged (ack timeout, disconnect, no stream responding, server
// error) is sent again with the same ID after a jittered backoff until it
// is acknowledged or the caller's ctx ends; an acknowledgement marked
// duplicate counts as success, since the stream already holds the message
// (the server's duplicate window bounds how late a retry may come). While
// the connection is down, attempts wait for the reconnect instead of
// filling the client's reconnect buffer, so a caller's messages are held
// in Publish and complete after the reconnect.
//
// Per [Message.Key] at most one message is unacknowledged at a time, so
// per-Key order in the stream is publish order even across retries and
// outages; different Keys are in flight concurrently, at most
// [JetStreamConfig.MaxInFlight] messages in all. Create it with
// [NewJetStream]; the caller must call Close.
type JetStream struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	cfg   JetStreamConfig
	slots chan struct{} // one token per unacknowledged message
	lanes keyLanes
	fails failureLog
	state closeState
}

var _ Publisher = (*JetStream)(nil)

// NewJetStream returns a publisher on nc. The connection may still
// be connecting. It keeps its own JetStream context so that its in-flight
// bound and ack timeout apply to its messages only.
func NewJetStream(nc *nats.Conn, cfg JetStreamConfig) (*JetStream, error) {
	if nc == nil {
		return nil, fmt.Errorf("%w: JetStream needs a connection", ErrInvalidNATSConfig)
	}
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc,
		// The slots below keep us under this bound, so the library never
		// stalls or refuses a publish for it.
		jetstream.WithPublishAsyncMaxPending(cfg.MaxInFlight),
		// Without a timeout a lost ack would hold its Key forever.
		jetstream.WithPublishAsyncTimeout(cfg.AckTimeout),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidNATSConfig, err)
	}
	return &JetStream{
		nc:    nc,
		js:    js,
		cfg:   cfg,
		slots: make(chan struct{}, cfg.MaxInFlight),
		state: newCloseState(),
	}, nil
}

// Publish sends msgs and returns when every one is acknowledged; see
// [Publisher] for the contract and [JetStream] for retries.
func (p *JetStream) Publish(ctx context.Context, msgs ...Message) error {
	if err := p.state.enter(); err != nil {
		return err
	}
	defer p.state.calls.Done()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkMessages(msgs, p.nc.MaxPayload()); err != nil {
		return err
	}
	groups := groupByKey(msgs)
	if len(groups) == 1 {
		return p.publishKey(ctx, groups[0])
	}
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Go(func() { errs[i] = p.publishKey(ctx, g) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// publishKey publishes one Key's messages in order, one acknowledged before
// the next. It stops at the first message that fails for good.
func (p *JetStream) publishKey(ctx context.Context, msgs []Message) error {
	release, err := p.lanes.acquire(ctx, p.state.stop, msgs[0].Key)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		pending, err := p.publishOne(ctx, m)
		if pending != nil {
			// The caller stopped waiting but the message may still be
			// stored: keep the Key and the slot until it is settled, so a
			// later message for this Key cannot overtake it.
			p.settleLater(pending, release)
			return err
		}
		if err != nil {
			release()
			return err
		}
	}
	release()
	return nil
}

// publishOne sends m until it is acknowledged or fails for good. When ctx
// ends or the publisher is closed while an attempt awaits its ack, it
// returns that attempt (still holding a slot) with the error.
func (p *JetStream) publishOne(ctx context.Context, m Message) (jetstream.PubAckFuture, error) {
	nm := m.natsMsg()
	bo := retry.Backoff{Min: p.cfg.MinBackoff, Max: p.cfg.MaxBackoff}
	for attempt := 0; ; attempt++ {
		if err := awaitConnected(ctx, p.state.stop, p.nc); err != nil {
			return nil, publishErr(m, err)
		}
		if err := p.acquireSlot(ctx); err != nil {
			return nil, publishErr(m, err)
		}
		paf, err := p.js.PublishMsgAsync(nm)
		if err == nil {
			var ack *jetstream.PubAck
			var settled bool
			ack, settled, err = p.awaitAck(ctx, paf)
			if !settled {
				return paf, publishErr(m, err)
			}
			if err == nil {
				p.releaseSlot()
				p.succeeded(m, ack)
				return nil, nil
			}
		}
		p.releaseSlot()
		err, permanent := classifyPublishErr(err)
		p.failed(m, err, !permanent)
		if permanent {
			return nil, publishErr(m, err)
		}
		if err := waitRetry(ctx, p.state.stop, bo.Delay(attempt)); err != nil {
			return nil, publishErr(m, err)
		}
	}
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

// settleLater waits, in a goroutine Close waits for, until an abandoned
// attempt is acknowledged, fails or times out, then frees its slot and Key.
func (p *JetStream) settleLater(paf jetstream.PubAckFuture, releaseKey func()) {
	p.state.calls.Go(func() {
		defer releaseKey()
		defer p.releaseSlot()
		select {
		case <-paf.Ok():
		case <-paf.Err():
		case <-p.state.stop:
		}
	})
}

func (p *JetStream) acquireSlot(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.state.stop:
		return ErrPublisherClosed
	}
}

func (p *JetStream) releaseSlot() { <-p.slots }

func (p *JetStream) succeeded(m Message, ack *jetstream.PubAck) {
	if n := p.fails.succeeded(); n > 0 {
		p.cfg.Logger.Info("publishing recovered", zap.Int("failed_attempts", n))
	}
	if p.cfg.Observer != nil {
		p.cfg.Observer.Published(m, ack.Duplicate)
	}
}

func (p *JetStream) failed(m Message, err error, retrying bool) {
	reportFailure(p.cfg.Logger, &p.fails, p.cfg.Observer, m, err, retrying)
}

// Close stops accepting messages and waits until every call has returned
// and every message in flight is settled, or ctx ends; then it aborts what
// is left (those calls return [ErrPublisherClosed]) and returns ctx's
// error. It does not close the connection. Calling it again waits for the
// first call.
func (p *JetStream) Close(ctx context.Context) error {
	return p.state.close(ctx, p.js.CleanupPublisher)
}

// classifyPublishErr maps a publish error to the package's sentinels and
// tells whether retrying cannot help.
func classifyPublishErr(err error) (error, bool) {
	var apiErr *jetstream.APIError
	switch {
	case errors.Is(err, nats.ErrMaxPayload):
		return fmt.Errorf("%w: %w", ErrPayloadTooLarge, err), true
	case errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum:
		return fmt.Errorf("%w: %w", ErrPayloadTooLarge, err), true
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining),
		errors.Is(err, jetstream.ErrJetStreamPublisherClosed):
		return fmt.Errorf("%w: %w", ErrPublisherClosed, err), true
	case errors.Is(err, nats.ErrBadSubject), errors.Is(err, nats.ErrBadHeaderMsg):
		return fmt.Errorf("%w: %w", ErrInvalidMessage, err), true
	case errors.Is(err, nats.ErrHeadersNotSupported), errors.Is(err, nats.ErrInvalidConnection):
		return err, true
	}
	return err, false
}

func publishErr(m Message, err error) error {
	return fmt.Errorf("publish %s: %w", m.ID, err)
}
