package bridge

import (
	"context"
	"errors"
	"sync"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// MaxConcurrentRequests bounds the watch requests an Intake handles at
// once. A request with durable watches waits for two JetStream round
// trips; handled one at a time, as a subscription delivers them, a loaded
// bridge accepted 125 watches a second (10,000 in 80 s in the benchmark).
const MaxConcurrentRequests = 64

// Intake is a NATS subscription whose requests are handled concurrently.
// While every slot is busy it takes no new request, so they wait in the
// subscription's bounded buffer.
type Intake struct {
	nc     *nats.Conn
	sub    *nats.Subscription
	slots  chan struct{}
	handle func(data []byte) []byte
	log    *zap.Logger

	mu      sync.Mutex // guards stopped and wg.Add against wg.Wait
	stopped bool
	wg      sync.WaitGroup
}

func serveRequests(nc *nats.Conn, subject, queue string, n int, log *zap.Logger, handle func([]byte) []byte) (*Intake, error) {
	in := &Intake{nc: nc, slots: make(chan struct{}, n), handle: handle, log: log}
	sub, err := nc.QueueSubscribe(subject, queue, in.dispatch)
	if err != nil {
		return nil, err
	}
	in.sub = sub
	return in, nil
}

// dispatch runs on the subscription's goroutine: it waits for a slot and
// hands the request to a goroutine of its own.
func (in *Intake) dispatch(msg *nats.Msg) {
	in.slots <- struct{}{}
	in.mu.Lock()
	if in.stopped {
		in.mu.Unlock()
		<-in.slots
		return // Close gave up on it: the requester times out
	}
	in.wg.Add(1)
	in.mu.Unlock()
	go func() {
		defer in.wg.Done()
		defer func() { <-in.slots }()
		in.respond(msg, in.handle(msg.Data))
	}()
}

func (in *Intake) respond(msg *nats.Msg, b []byte) {
	if msg.Reply == "" {
		return
	}
	if err := msg.Respond(b); err != nil {
		in.log.Warn("watch reply failed", zap.Error(err))
	}
}

// Drain stops taking requests, answers those already received and waits
// for them, or until ctx ends. Without a connection no server can confirm
// the drain, so it closes at once rather than spend the shutdown's budget
// waiting for one.
func (in *Intake) Drain(ctx context.Context) error {
	if !in.nc.IsConnected() {
		return in.Close()
	}
	closed := in.sub.StatusChanged(nats.SubscriptionClosed)
	if err := in.sub.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return errors.Join(err, in.Close())
	}
	select {
	case <-closed:
	case <-ctx.Done():
	}
	return errors.Join(in.Close(), ctx.Err())
}

// Close stops taking requests at once and waits for those being handled;
// requests received but not yet taken go unanswered.
func (in *Intake) Close() error {
	err := in.sub.Unsubscribe()
	if errors.Is(err, nats.ErrBadSubscription) || errors.Is(err, nats.ErrConnectionClosed) {
		err = nil // closed already, by Drain or with the connection
	}
	in.mu.Lock()
	in.stopped = true
	in.mu.Unlock()
	in.wg.Wait()
	return err
}
