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
)

// JetStreamConfig configures a [JetStream]. Zero values mean the
// documented defaults.
type JetStreamConfig struct {
	// MaxInFlight bounds unacknowledged messages across all Keys; default 256.
	MaxInFlight int
	// MaxInFlightPerKey bounds the unacknowledged messages of one Key
	// (one Assembly); default 32. 1 waits for each ack before the next,
	// which is what a connection with a reconnect buffer always gets (see
	// [NATSConfig.NoReconnectBuffer]).
	MaxInFlightPerKey int
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
	// defaultMaxInFlightPerKey keeps a burst of one Assembly from taking
	// every slot.
	defaultMaxInFlightPerKey = 32
	defaultAckTimeout        = 5 * time.Second
	defaultMinBackoff        = 100 * time.Millisecond
	defaultMaxBackoff        = 5 * time.Second
)

func (c *JetStreamConfig) setDefaults() error {
	if c.MaxInFlight < 0 || c.MaxInFlightPerKey < 0 || c.AckTimeout < 0 || c.MinBackoff < 0 || c.MaxBackoff < 0 {
		return fmt.Errorf("%w: JetStreamConfig has a negative limit", ErrInvalidNATSConfig)
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = defaultMaxInFlight
	}
	if c.MaxInFlightPerKey == 0 {
		c.MaxInFlightPerKey = defaultMaxInFlightPerKey
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
// Messages of one [Message.Key] are pipelined: up to
// [JetStreamConfig.MaxInFlightPerKey] of them await their acks at once
// (on a connection without a reconnect buffer; otherwise one),
// sent in order on the one connection, so the stream stores them in
// order. When one fails, the publisher waits for the others in flight,
// then sends the unacknowledged tail again, in order and with the same
// IDs, one message at a time until one is acknowledged (those stored
// before come back as duplicates, so nothing is stored twice and no gap
// is left). Different Keys are in flight concurrently, at most
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
	if nc.Opts.ReconnectBufSize >= 0 {
		// What the connection buffers while reconnecting goes out first
		// after the reconnect, ahead of earlier messages lost with the old
		// connection: only one message per Key may be on its way.
		cfg.MaxInFlightPerKey = 1
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

// tryAcquireSlot takes a slot if one is free. A Key with messages
// awaiting acks must not block on a slot: the slots it holds are freed
// only when it reads those acks.
func (p *JetStream) tryAcquireSlot() bool {
	select {
	case p.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (p *JetStream) releaseSlot() { <-p.slots }

func (p *JetStream) succeeded(m Message, ack *jetstream.PubAck) {
	reportSuccess(p.cfg.Logger, &p.fails, p.cfg.Observer, m, ack.Duplicate)
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
