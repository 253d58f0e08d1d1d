package consume

import (
	"context"
	"fmt"
	"iter"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/schemas"
)

// Message is one event as read from the stream.
type Message struct {
	// Event is the decoded event; zero when Data is not a v1 event.
	Event schemas.Event
	// Subject is the NATS subject the event was stored under.
	Subject string
	// Data is the event as published: CloudEvents structured JSON.
	Data []byte
}

// Events returns an iterator over the events f selects, oldest first, from
// the start of the stream unless [WithStartTime] or [WithNewOnly] says
// otherwise. It reads with an ordered consumer, so nothing is acknowledged
// and nothing is left behind on the server. A message that is not a v1
// event is yielded with its Subject and Data and an error wrapping
// [schemas.ErrInvalidEvent]; reading goes on if the loop continues. Any
// other error (a missing stream, a closed connection, ctx ending) is
// yielded once and ends the iteration. Options: [WithPrefix], [WithStream],
// [WithStartTime], [WithNewOnly].
func Events(ctx context.Context, js jetstream.StreamConsumerManager, f Filter, opts ...Option) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		s := newSettings(opts)
		it, err := openOrdered(ctx, js, f, s)
		if err != nil {
			yield(Message{}, err)
			return
		}
		defer it.Stop()
		for {
			msg, err := it.Next(jetstream.NextContext(ctx))
			if err != nil {
				yield(Message{}, fmt.Errorf("consume: %w", err))
				return
			}
			if !yield(decodeMsg(msg)) {
				return
			}
		}
	}
}

// Follow returns an iterator over the events of one Assembly, from the
// start of the stream, that ends after the Assembly's terminal event
// (schemas.Type.Terminal). Ask the bridge to watch the Assembly first
// ([Watch]); Follow only reads. Errors are as for [Events]; Follow
// ends at ctx, so give it a deadline. Options: [WithPrefix], [WithStream].
func Follow(ctx context.Context, js jetstream.StreamConsumerManager, assemblyID string, opts ...Option) iter.Seq2[schemas.Event, error] {
	return func(yield func(schemas.Event, error) bool) {
		for m, err := range Events(ctx, js, Filter{AssemblyID: assemblyID}, opts...) {
			if !yield(m.Event, err) || (err == nil && m.Event.Type.Terminal()) {
				return
			}
		}
	}
}

func openOrdered(ctx context.Context, js jetstream.StreamConsumerManager, f Filter, s settings) (jetstream.MessagesContext, error) {
	subjects, err := f.subjects(s.prefix)
	if err != nil {
		return nil, err
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: subjects}
	switch {
	case s.newOnly:
		cfg.DeliverPolicy = jetstream.DeliverNewPolicy
	case !s.start.IsZero():
		start := s.start
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	cons, err := js.OrderedConsumer(ctx, s.stream, cfg)
	if err != nil {
		return nil, fmt.Errorf("consume: stream %s: %w", s.stream, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, fmt.Errorf("consume: %w", err)
	}
	return it, nil
}

// decodeMsg decodes a stored message; the error wraps
// schemas.ErrInvalidEvent when it is not a v1 event.
func decodeMsg(msg jetstream.Msg) (Message, error) {
	m := Message{Subject: msg.Subject(), Data: msg.Data()}
	ev, err := schemas.Decode(m.Data)
	if err != nil {
		return m, fmt.Errorf("consume: %s: %w", m.Subject, err)
	}
	m.Event = *ev
	return m, nil
}
