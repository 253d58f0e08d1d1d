package publish

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/schemas"
)

// Message is one event on its way to NATS.
type Message struct {
	// Subject is the NATS subject, e.g. transloadit.v1.assemblies.<id>.completed.
	Subject string
	// ID is the event's idempotency key; it travels as the Nats-Msg-Id
	// header, so JetStream stores a message with a given ID once.
	ID string
	// Data is the encoded CloudEvent.
	Data []byte
	// Key orders messages: those with the same Key (the Assembly ID) reach
	// the backend in the order they were published. Messages with an empty
	// Key share one order.
	Key string
}

// ContentType is the Content-Type header every publisher sets: the data
// is a structured-mode CloudEvent. The event contract owns the value.
const ContentType = schemas.ContentType

// Header names the publishers set on every message.
const (
	headerMsgID       = "Nats-Msg-Id"
	headerContentType = "Content-Type"
)

// natsHeaderOverhead is what the NATS wire format adds to the headers
// themselves: the "NATS/1.0\r\n" status line and the blank line after them.
const natsHeaderOverhead = len("NATS/1.0\r\n") + len("\r\n")

// Size returns the number of bytes m counts against the server's
// max_payload: its data plus the headers a publisher adds. A message whose
// Size exceeds the connection's MaxPayload is refused with
// [ErrPayloadTooLarge].
func (m Message) Size() int {
	// Mirrors nats.go's header encoding: "Key: value\r\n" per header, with
	// the value trimmed of surrounding white space.
	hdr := natsHeaderOverhead +
		len(headerMsgID) + len(textproto.TrimString(m.ID)) + 4 +
		len(headerContentType) + len(ContentType) + 4
	return len(m.Data) + hdr
}

// natsMsg builds the wire message for m.
func (m Message) natsMsg() *nats.Msg {
	return &nats.Msg{
		Subject: m.Subject,
		Data:    m.Data,
		Header: nats.Header{
			headerMsgID:       []string{m.ID},
			headerContentType: []string{ContentType},
		},
	}
}

// Publisher delivers messages to a backend.
//
// Publish returns nil once every message is acknowledged (a duplicate
// acknowledgement counts). It validates the whole batch before sending any
// of it (the NATS publishers know the server's payload limit only once
// connected; before that an oversized message fails when its turn comes). Messages with the same [Message.Key] reach the backend in the
// order given, across calls as well: a call waits for an earlier call's
// messages with that Key. It returns an error matching [ErrPayloadTooLarge],
// [ErrInvalidMessage] or [ErrPublisherClosed] for messages that can never be
// delivered, or the context's error when ctx ends first; then some messages
// may or may not have been stored, and publishing them again with the same
// IDs is safe where the backend de-duplicates.
//
// Once Publish returns nil it keeps no reference to msgs or their Data,
// so the caller may reuse the buffers. After an error it may still hold
// some (those in flight when ctx ended settle in the background), and the
// caller must leave them alone.
//
// Close stops accepting messages, waits for those in flight (bounded by
// ctx) and stops the publisher's goroutines. It does not close the NATS
// connection, which the caller owns. Implementations are safe for
// concurrent use.
type Publisher interface {
	Publish(ctx context.Context, msgs ...Message) error
	Close(ctx context.Context) error
}

// Observer is told about publish outcomes, e.g. to count them in
// metrics. Its methods are called from publishing goroutines, concurrently,
// and must not block.
type Observer interface {
	// Published reports that m was acknowledged; duplicate is true when the
	// backend already held a message with m.ID.
	Published(m Message, duplicate bool)
	// PublishFailed reports one failed attempt at m; retrying tells whether
	// the publisher will try m again.
	PublishFailed(m Message, err error, retrying bool)
}

var (
	// ErrPayloadTooLarge means a message's [Message.Size] exceeds what the
	// server accepts. It is never retried.
	ErrPayloadTooLarge = errors.New("publish: message exceeds the NATS max payload")
	// ErrPublisherClosed means Publish was called after Close, Close gave up
	// waiting for the call, or the NATS connection was closed or is draining.
	ErrPublisherClosed = errors.New("publish: publisher closed")
	// ErrInvalidMessage means a message lacks a subject or an ID, or one of
	// them would be altered on the wire (white space in the subject, line
	// breaks or surrounding spaces in the ID).
	ErrInvalidMessage = errors.New("publish: invalid message")
	// ErrInvalidNATSConfig means a NATS connection, embedded server, stream
	// or publisher setting is invalid; the message names the field.
	ErrInvalidNATSConfig = errors.New("publish: invalid NATS configuration")
	// ErrStreamMismatch means an existing stream, consumer or bucket does
	// not fit the configuration and the bridge may not (or cannot) change
	// it; the message says what differs.
	ErrStreamMismatch = errors.New("publish: stream does not fit the configuration")
)

// checkMessages validates a batch before anything of it is sent.
// maxPayload <= 0 skips the size check (the limit is not known before the
// first connect).
func checkMessages(msgs []Message, maxPayload int64) error {
	for _, m := range msgs {
		if err := checkMessage(m); err != nil {
			return err
		}
		if maxPayload > 0 && int64(m.Size()) > maxPayload {
			return fmt.Errorf("publish %s: %w (%d bytes > %d)", m.ID, ErrPayloadTooLarge, m.Size(), maxPayload)
		}
	}
	return nil
}

func checkMessage(m Message) error {
	switch {
	case m.Subject == "" || strings.ContainsAny(m.Subject, " \t\r\n"):
		return fmt.Errorf("%w: subject %q", ErrInvalidMessage, m.Subject)
	case m.ID == "" || strings.ContainsAny(m.ID, "\r\n") || strings.TrimSpace(m.ID) != m.ID:
		return fmt.Errorf("%w: id %q", ErrInvalidMessage, m.ID)
	}
	return nil
}

// groupByKey splits msgs into per-Key runs, keeping the order within each
// Key and the order of first appearance across Keys. A call with one Key,
// as a watch's batch always is, comes back as it is, without copies.
func groupByKey(msgs []Message) [][]Message {
	if len(msgs) > 0 && oneKey(msgs) {
		return [][]Message{msgs}
	}
	index := make(map[string]int)
	var groups [][]Message
	for _, m := range msgs {
		i, ok := index[m.Key]
		if !ok {
			i = len(groups)
			index[m.Key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], m)
	}
	return groups
}

func oneKey(msgs []Message) bool {
	for _, m := range msgs {
		if m.Key != msgs[0].Key {
			return false
		}
	}
	return true
}

// waitRetry sleeps for d unless ctx ends (its error is returned) or stop is
// closed ([ErrPublisherClosed]).
func waitRetry(ctx context.Context, stop <-chan struct{}, d time.Duration) error {
	if retry.SleepOrStop(ctx, retry.SystemClock(), d, stop) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrPublisherClosed
}

// awaitConnected returns once nc is connected, ctx ends, stop is closed or
// nc is closed for good.
func awaitConnected(ctx context.Context, stop <-chan struct{}, nc *nats.Conn) error {
	if nc.IsConnected() {
		return nil
	}
	ch := nc.StatusChanged(nats.CONNECTED, nats.CLOSED)
	defer nc.RemoveStatusListener(ch)
	// Status events are delivered without blocking; the periodic re-check
	// covers one that was dropped.
	recheck := time.NewTicker(time.Second)
	defer recheck.Stop()
	for !nc.IsConnected() {
		if nc.IsClosed() {
			return fmt.Errorf("%w: %w", ErrPublisherClosed, nats.ErrConnectionClosed)
		}
		select {
		case <-ch:
		case <-recheck.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			return ErrPublisherClosed
		}
	}
	return nil
}

// failureLog logs the first of a run of publish failures and the recovery
// after it, instead of every attempt.
type failureLog struct {
	mu       sync.Mutex // guards failures
	failures int
}

// failed records a failure and reports whether it starts a run.
func (f *failureLog) failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures++
	return f.failures == 1
}

// succeeded records a success and returns the length of the run of
// failures it ends (0 if none).
func (f *failureLog) succeeded() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.failures
	f.failures = 0
	return n
}

// reportSuccess ends a run of failures, logging the recovery, and tells
// the observer m was stored.
func reportSuccess(log *zap.Logger, fails *failureLog, obs Observer, m Message, duplicate bool) {
	if n := fails.succeeded(); n > 0 {
		log.Info("publishing recovered", zap.Int("failed_attempts", n))
	}
	if obs != nil {
		obs.Published(m, duplicate)
	}
}

// reportFailure logs a failed attempt (the first of a run, or a final
// one, as a warning; the others at debug) and tells the observer.
func reportFailure(log *zap.Logger, fails *failureLog, obs Observer, m Message, err error, retrying bool) {
	logf := log.Debug
	if fails.failed() || !retrying {
		logf = log.Warn
	}
	logf("publish attempt failed", zap.String("subject", m.Subject), zap.String("id", m.ID),
		zap.Bool("retrying", retrying), zap.Error(err))
	if obs != nil {
		obs.PublishFailed(m, err, retrying)
	}
}

// keyLanes serialises work per Key: at most one holder per Key at a time.
type keyLanes struct {
	mu    sync.Mutex // guards lanes
	lanes map[string]*keyLane
}

type keyLane struct {
	held chan struct{} // capacity 1: full while held
	refs int           // holders and waiters; the lane is dropped at 0
}

// acquire waits for key's lane and returns the function that releases it.
func (l *keyLanes) acquire(ctx context.Context, stop <-chan struct{}, key string) (release func(), err error) {
	l.mu.Lock()
	if l.lanes == nil {
		l.lanes = make(map[string]*keyLane)
	}
	ln := l.lanes[key]
	if ln == nil {
		ln = &keyLane{held: make(chan struct{}, 1)}
		l.lanes[key] = ln
	}
	ln.refs++
	l.mu.Unlock()

	select {
	case ln.held <- struct{}{}:
		return func() { <-ln.held; l.unref(key, ln) }, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-stop:
		err = ErrPublisherClosed
	}
	l.unref(key, ln)
	return nil, err
}

func (l *keyLanes) unref(key string, ln *keyLane) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ln.refs--
	if ln.refs == 0 {
		delete(l.lanes, key)
	}
}

// closeState is the shared Close bookkeeping of the NATS publishers:
// refusing new calls, waiting for running ones and aborting them when the
// caller stops waiting.
type closeState struct {
	mu     sync.Mutex // guards closed
	closed bool
	calls  sync.WaitGroup // running Publish calls and the goroutines they hand work to
	stop   chan struct{}  // closed when Close stops waiting: aborts retries
	done   chan struct{}  // closed when the first Close returns
}

func newCloseState() closeState {
	return closeState{stop: make(chan struct{}), done: make(chan struct{})}
}

// enter registers a Publish call; the caller must call c.calls.Done.
func (c *closeState) enter() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrPublisherClosed
	}
	c.calls.Add(1)
	return nil
}

// close marks the publisher closed and waits for running calls until ctx
// ends, then aborts them and waits for them to return. finish runs once,
// after every call has returned. Later calls wait for the first to finish.
func (c *closeState) close(ctx context.Context, finish func()) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		select {
		case <-c.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.closed = true
	c.mu.Unlock()
	defer close(c.done)

	idle := make(chan struct{})
	go func() {
		c.calls.Wait()
		close(idle)
	}()
	var err error
	select {
	case <-idle:
	case <-ctx.Done():
		err = fmt.Errorf("publish: publisher close: %w", ctx.Err())
		close(c.stop)
		<-idle
	}
	if finish != nil {
		finish()
	}
	return err
}
