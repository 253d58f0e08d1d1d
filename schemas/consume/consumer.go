package consume

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/schemas"
)

// Options configure the durable consumer of [Consume].
type Options struct {
	// Durable names the consumer (required). Consumers of one name share
	// the work, and a restarted Consume resumes where the name left off.
	Durable string
	// Events selects event types; empty selects the types the handlers
	// handle (every type when Handlers.Other is set).
	Events []schemas.Type
	// Steps, if set, selects only the step results of these Steps.
	Steps []string
	// MaxDeliver bounds the deliveries of one event; after the last
	// failure JetStream gives up on it. Default 10.
	MaxDeliver int
	// Backoff is the delay before the first redelivery after a handler
	// error; it doubles with each further delivery, up to MaxBackoff.
	// Defaults 1s and 1m.
	Backoff, MaxBackoff time.Duration
	// AckWait is how long a handler may run before the event is delivered
	// again. Default 30s.
	AckWait time.Duration
	// OnError, if set, is told of every handler error and of every message
	// that is not a v1 event, e.g. to log them. It must not block.
	OnError func(subject string, err error)
}

func (o Options) withDefaults() Options {
	if o.MaxDeliver <= 0 {
		o.MaxDeliver = 10
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxBackoff < o.Backoff {
		o.MaxBackoff = max(time.Minute, o.Backoff)
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	return o
}

// Consume runs the durable consumer o describes (creating or updating it)
// and calls h for each event, one at a time, in stream order. An event is
// acknowledged when its handler returns nil. When the handler returns an
// error it is redelivered after a backoff, at most o.MaxDeliver times in
// all; a message that is not a v1 event, or a handler error wrapping
// [schemas.ErrInvalidEvent], is terminated and never redelivered. While an
// event waits for its redelivery the events after it wait too, so each
// Assembly's events reach the handlers in order; replicas running the same
// Durable take turns.
//
// Consume blocks until ctx ends, then returns nil once the handler in
// flight has returned; it returns an error when the consumer cannot be
// set up ([ErrInvalidOptions] for bad options) or reading stops for
// another reason (the consumer or stream was deleted, the connection
// closed). Options: [WithPrefix], [WithStream].
func Consume(ctx context.Context, js jetstream.StreamConsumerManager, o Options, h Handlers, opts ...Option) error {
	s := newSettings(opts)
	o = o.withDefaults()
	routes := h.routes()
	cfg, err := o.consumerConfig(s.prefix, routes, h.Other != nil)
	if err != nil {
		return err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, s.stream, cfg)
	if err != nil {
		return fmt.Errorf("consume: consumer %s on stream %s: %w", o.Durable, s.stream, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	defer it.Stop()
	d := dispatcher{o: o, routes: routes, other: h.Other}
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("consume: %w", err)
		}
		d.handle(ctx, msg)
	}
}

func (o Options) consumerConfig(prefix string, routes map[schemas.Type]handlerFunc, other bool) (jetstream.ConsumerConfig, error) {
	if o.Durable == "" {
		return jetstream.ConsumerConfig{}, fmt.Errorf("%w: Durable is required", ErrInvalidOptions)
	}
	if len(routes) == 0 && !other {
		return jetstream.ConsumerConfig{}, fmt.Errorf("%w: no handler is set", ErrInvalidOptions)
	}
	f := Filter{Events: o.Events, Steps: o.Steps}
	if len(f.Events) == 0 {
		f.Events = handledTypes(routes, other)
	}
	subjects, err := f.subjects(prefix)
	if err != nil {
		return jetstream.ConsumerConfig{}, err
	}
	return jetstream.ConsumerConfig{
		Durable:        o.Durable,
		FilterSubjects: subjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        o.AckWait,
		MaxDeliver:     o.MaxDeliver,
		// One at a time keeps each Assembly's events in order even while
		// one of them waits for a redelivery.
		MaxAckPending: 1,
	}, nil
}

// dispatcher settles each message according to its handler's result.
type dispatcher struct {
	o      Options
	routes map[schemas.Type]handlerFunc
	other  handlerFunc
}

func (d dispatcher) handle(ctx context.Context, msg jetstream.Msg) {
	m, err := decodeMsg(msg)
	if err == nil {
		err = d.call(ctx, m.Event)
	}
	switch {
	case err == nil:
		_ = msg.Ack()
		return
	case errors.Is(err, schemas.ErrInvalidEvent):
		_ = msg.TermWithReason("not a v1 event")
	default:
		_ = msg.NakWithDelay(d.delay(msg))
	}
	if d.o.OnError != nil {
		d.o.OnError(msg.Subject(), err)
	}
}

// call runs the handler of ev's type; an event no handler takes is done.
func (d dispatcher) call(ctx context.Context, ev schemas.Event) error {
	if f := d.routes[ev.Type]; f != nil {
		return f(ctx, ev)
	}
	if d.other != nil {
		return d.other(ctx, ev)
	}
	return nil
}

// delay is the backoff before the next delivery of msg.
func (d dispatcher) delay(msg jetstream.Msg) time.Duration {
	n := uint64(1)
	if md, err := msg.Metadata(); err == nil && md.NumDelivered > 0 {
		n = md.NumDelivered
	}
	return backoff(d.o.Backoff, d.o.MaxBackoff, n)
}

// backoff doubles base for each delivery after the first, capped at max.
func backoff(base, limit time.Duration, delivered uint64) time.Duration {
	d := base
	for i := uint64(1); i < delivered && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
