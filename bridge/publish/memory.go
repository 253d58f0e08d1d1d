package publish

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/tlbridge/tlbridge/schemas"
)

// MemoryConfig configures a [Memory]. Zero values mean the
// documented defaults.
type MemoryConfig struct {
	// DisableDedupe stores every message; by default a message whose ID was
	// stored before is acknowledged as a duplicate and not stored again, as
	// JetStream does.
	DisableDedupe bool
	// MaxPayload is the limit on [Message.Size]; default 1 MiB, the NATS
	// server's default.
	MaxPayload int
	// MaxMessages bounds the messages kept, and the IDs remembered for
	// de-duplication; the oldest go first. Default 10000.
	MaxMessages int
	// OnStored, if set, is called with each newly stored message, in storage
	// order, before Publish returns. It must not call the publisher.
	OnStored func(Message)
	// Observer: if nil, none.
	Observer Observer
}

// Defaults of [MemoryConfig].
const (
	defaultMemoryMaxMessages = 10000
)

// Memory keeps published messages in memory: for tests, and for
// running without NATS. It behaves like [JetStream] where a caller
// can tell: per-Key order (it stores in publish order), de-duplication by
// ID, the payload limit, and an outage during which Publish holds the
// caller's messages until the outage ends or ctx does (see SetOutage).
// Create it with [NewMemory]; its zero value is not usable.
type Memory struct {
	cfg  MemoryConfig
	turn chan struct{} // capacity 1: held by the Publish call that stores

	mu     sync.Mutex // guards fields below
	closed bool
	stored []Message           // oldest first, at most MaxMessages
	seen   map[string]struct{} // IDs of stored, for de-duplication
	up     chan struct{}       // closed while there is no outage
	done   chan struct{}       // closed by Close
}

var _ Publisher = (*Memory)(nil)

// NewMemory returns an empty publisher.
func NewMemory(cfg MemoryConfig) *Memory {
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = schemas.DefaultMaxPayload
	}
	if cfg.MaxMessages <= 0 {
		cfg.MaxMessages = defaultMemoryMaxMessages
	}
	up := make(chan struct{})
	close(up)
	return &Memory{
		cfg:  cfg,
		turn: make(chan struct{}, 1),
		seen: make(map[string]struct{}),
		up:   up,
		done: make(chan struct{}),
	}
}

// Publish stores msgs in order; see [Publisher]. During an outage it waits
// for the outage to end.
func (p *Memory) Publish(ctx context.Context, msgs ...Message) error {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return ErrPublisherClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkMessages(msgs, int64(p.cfg.MaxPayload)); err != nil {
		return err
	}
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-p.done:
		return ErrPublisherClosed
	}
	defer func() { <-p.turn }()
	for _, m := range msgs {
		if err := p.awaitUp(ctx); err != nil {
			return publishErr(m, err)
		}
		dup, err := p.store(m)
		if err != nil {
			return publishErr(m, err)
		}
		if !dup && p.cfg.OnStored != nil {
			p.cfg.OnStored(m)
		}
		if p.cfg.Observer != nil {
			p.cfg.Observer.Published(m, dup)
		}
	}
	return nil
}

// awaitUp waits while there is an outage.
func (p *Memory) awaitUp(ctx context.Context) error {
	p.mu.Lock()
	up := p.up
	p.mu.Unlock()
	select {
	case <-up:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.done:
		return ErrPublisherClosed
	}
}

// store keeps m unless its ID was stored before (then dup is true).
func (p *Memory) store(m Message) (dup bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false, ErrPublisherClosed
	}
	if !p.cfg.DisableDedupe {
		if _, ok := p.seen[m.ID]; ok {
			return true, nil
		}
		p.seen[m.ID] = struct{}{}
	}
	m.Data = slices.Clone(m.Data)
	p.stored = append(p.stored, m)
	if len(p.stored) > p.cfg.MaxMessages {
		// The oldest goes, and with de-duplication its ID: seen holds
		// exactly the IDs of stored. Reslicing instead of shifting keeps
		// the eviction constant-time; append reallocates now and then.
		if !p.cfg.DisableDedupe {
			delete(p.seen, p.stored[0].ID)
		}
		p.stored = p.stored[1:]
	}
	return false, nil
}

// Messages returns the stored messages, oldest first.
func (p *Memory) Messages() []Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.stored)
}

// SetOutage starts (down true) or ends an outage. During one, Publish
// stores nothing and waits.
func (p *Memory) SetOutage(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	isDown := chanOpen(p.up)
	switch {
	case down && !isDown:
		p.up = make(chan struct{})
	case !down && isDown:
		close(p.up)
	}
}

func chanOpen(ch chan struct{}) bool {
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

// Close makes Publish refuse messages; a call waiting out an outage returns
// [ErrPublisherClosed]. It waits (bounded by ctx) for a call that is
// storing. Calling it again does nothing.
func (p *Memory) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	p.mu.Unlock()
	select {
	case p.turn <- struct{}{}:
		<-p.turn
		return nil
	case <-ctx.Done():
		return fmt.Errorf("publish: publisher close: %w", ctx.Err())
	}
}
