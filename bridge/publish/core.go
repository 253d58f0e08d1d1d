package publish

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/retry"
)

// CoreConfig configures a [Core]. Zero values mean the documented
// defaults.
type CoreConfig struct {
	// FlushTimeout bounds the flush at the end of Publish when ctx has no
	// deadline; default 5s.
	FlushTimeout time.Duration
	// MinBackoff and MaxBackoff bound the jittered exponential wait before a
	// message is handed to the connection again after its reconnect buffer
	// was full; defaults 100ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// Logger: if nil, no logs.
	Logger *zap.Logger
	// Observer: if nil, none. Published is always told duplicate=false.
	Observer Observer
}

// Core publishes with core NATS: best effort, for setups without
// JetStream. It sets the same headers as [JetStream] but gets no
// acknowledgement, so nothing is de-duplicated and a message can be lost
// if the connection drops before the server reads it. While the
// connection is reconnecting, messages go to the client's reconnect buffer
// and Publish does not wait for the server. Order is publish order, since
// every message leaves through the one connection. Create it with
// [NewCore]; the caller must call Close.
type Core struct {
	nc    *nats.Conn
	cfg   CoreConfig
	fails failureLog
	state closeState
}

var _ Publisher = (*Core)(nil)

// NewCore returns a publisher on nc.
func NewCore(nc *nats.Conn, cfg CoreConfig) (*Core, error) {
	if nc == nil {
		return nil, fmt.Errorf("%w: Core needs a connection", ErrInvalidNATSConfig)
	}
	if cfg.FlushTimeout < 0 || cfg.MinBackoff < 0 || cfg.MaxBackoff < 0 {
		return nil, fmt.Errorf("%w: CoreConfig has a negative duration", ErrInvalidNATSConfig)
	}
	if cfg.FlushTimeout == 0 {
		cfg.FlushTimeout = defaultAckTimeout
	}
	cfg.MinBackoff, cfg.MaxBackoff = backoffDefaults(cfg.MinBackoff, cfg.MaxBackoff)
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	return &Core{nc: nc, cfg: cfg, state: newCloseState()}, nil
}

// Publish hands msgs to the connection in order and, when connected,
// flushes so the server has read them before it returns; see [Publisher].
// A full reconnect buffer is waited out (until ctx ends), never skipped.
func (p *Core) Publish(ctx context.Context, msgs ...Message) error {
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
	for _, m := range msgs {
		if err := p.publishOne(ctx, m); err != nil {
			return err
		}
	}
	return p.flush(ctx)
}

func (p *Core) publishOne(ctx context.Context, m Message) error {
	bo := retry.Backoff{Min: p.cfg.MinBackoff, Max: p.cfg.MaxBackoff}
	for attempt := 0; ; attempt++ {
		err := p.nc.PublishMsg(m.natsMsg())
		if err == nil {
			reportSuccess(p.cfg.Logger, &p.fails, p.cfg.Observer, m, false)
			return nil
		}
		err, permanent := classifyPublishErr(err)
		p.failed(m, err, !permanent)
		if permanent {
			return publishErr(m, err)
		}
		if err := waitRetry(ctx, p.state.stop, bo.Delay(attempt)); err != nil {
			return publishErr(m, err)
		}
	}
}

// flush waits until the server has read everything published so far. A
// connection that is reconnecting holds the messages in its buffer and
// sends them after the reconnect; best effort does not wait for that, nor
// for a flush the connection drop interrupts.
func (p *Core) flush(ctx context.Context) error {
	if !p.nc.IsConnected() {
		return nil
	}
	err := p.flushBounded(ctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("publish: flush: %w", ctx.Err())
	case errors.Is(err, nats.ErrConnectionClosed):
		return fmt.Errorf("publish: flush: %w: %w", ErrPublisherClosed, err)
	}
	p.cfg.Logger.Debug("flush after publish failed", zap.Error(err))
	return nil
}

// flushBounded flushes within ctx, or within FlushTimeout when ctx has no
// deadline (the client insists on one).
func (p *Core) flushBounded(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.FlushTimeout)
		defer cancel()
	}
	return p.nc.FlushWithContext(ctx)
}

func (p *Core) failed(m Message, err error, retrying bool) {
	reportFailure(p.cfg.Logger, &p.fails, p.cfg.Observer, m, err, retrying)
}

// Close stops accepting messages, waits for running calls (bounded by ctx;
// then they are aborted with [ErrPublisherClosed]) and flushes what they
// published. It does not close the connection.
func (p *Core) Close(ctx context.Context) error {
	err := p.state.close(ctx, nil)
	if err == nil && p.nc.IsConnected() {
		if ferr := p.flushBounded(ctx); ferr != nil {
			p.cfg.Logger.Debug("flush on close failed", zap.Error(ferr))
		}
	}
	return err
}
