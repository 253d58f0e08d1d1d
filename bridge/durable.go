package bridge

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/retry"
)

// DurableConfig makes a Manager's watches durable and shared by every
// replica on the same JetStream resources (see [ManagerConfig.Durable]).
type DurableConfig struct {
	// JetStream is the connection's JetStream context; required.
	JetStream jetstream.JetStream
	// Store holds the work queue, its consumer and the buckets, from
	// publish.EnsureWatchStore or publish.CheckWatchStore; required.
	Store *publish.WatchStore
}

// fetchBatch bounds the watches taken from the queue at once, so that one
// replica does not take everything while others have room.
const fetchBatch = 16

// fetchWait is how long one pull request waits for work; a shutdown stops
// it at once.
const fetchWait = 5 * time.Second

// durable is the JetStream side of a Manager: it pulls watches from the
// work queue while the Manager has free slots, and serves cancel requests
// for the watches running here.
type durable struct {
	m      *Manager
	js     jetstream.JetStream
	nc     *nats.Conn
	store  *publish.WatchStore
	prefix string
	log    *zap.Logger

	cancel context.CancelFunc // stops the fetch loop
	done   chan struct{}      // closed when the fetch loop returned
	slots  chan struct{}      // a worker ended: there may be room again
	sub    *nats.Subscription // cancel requests
	beats  *heartbeats        // keep the running watches' messages alive

	beforeDrop func() // tests: runs before a cancel drops a queued request
}

func newDurable(m *Manager, cfg *DurableConfig) (*durable, error) {
	if cfg.JetStream == nil || cfg.Store == nil {
		return nil, errors.New("bridge: durable watches need a JetStream context and a watch store")
	}
	d := &durable{m: m, js: cfg.JetStream, nc: cfg.JetStream.Conn(), store: cfg.Store,
		prefix: m.cfg.Prefix, log: m.log.Named("durable"), done: make(chan struct{}), slots: make(chan struct{}, 1)}
	sub, err := d.nc.Subscribe(cancelSubject(d.prefix, "*"), d.serveCancel)
	if err != nil {
		return nil, err
	}
	d.sub = sub
	d.beats = newHeartbeats(d)
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	go d.fetchLoop(ctx)
	return d, nil
}

// stop ends the fetch loop and the cancel subscription, and waits for the
// loop: after it, no new watch starts here. The heartbeats go on until
// the workers handed their watches back (see Manager.Shutdown).
func (d *durable) stop() {
	d.cancel()
	<-d.done
	_ = d.sub.Unsubscribe()
}

// freed says a worker ended.
func (d *durable) freed() {
	select {
	case d.slots <- struct{}{}:
	default:
	}
}

// fetchBackoff spaces the fetches of the watch queue while they fail.
var fetchBackoff = retry.Backoff{Min: 250 * time.Millisecond, Max: 5 * time.Second}

// fetchLoop pulls watches while there is room, and waits for a worker to
// end when there is none.
func (d *durable) fetchLoop(ctx context.Context) {
	defer close(d.done)
	failures := 0
	for ctx.Err() == nil {
		free := d.m.freeSlots()
		if free <= 0 {
			select {
			case <-ctx.Done():
			case <-d.slots:
			}
			continue
		}
		err := d.fetch(ctx, min(free, fetchBatch))
		switch {
		case err == nil || ctx.Err() != nil:
			if failures > 0 {
				d.log.Info("watch queue reachable again", zap.Int("failures", failures))
			}
			failures = 0
		default:
			if failures++; failures == 1 {
				d.log.Warn("fetching watches failed; retrying", zap.Error(err))
			}
			retry.Sleep(ctx, d.m.cfg.Clock, fetchBackoff.Delay(failures-1))
		}
	}
}

func (d *durable) fetch(ctx context.Context, n int) error {
	fctx, cancel := context.WithTimeout(ctx, fetchWait)
	defer cancel()
	batch, err := d.store.Queue.Fetch(n, jetstream.FetchContext(fctx))
	if err != nil {
		return err
	}
	for msg := range batch.Messages() {
		d.take(ctx, msg)
	}
	if err := batch.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && !errors.Is(err, nats.ErrTimeout) {
		return err
	}
	return nil
}

// take starts a worker for a queued watch, unless this replica stops or
// already runs it.
func (d *durable) take(ctx context.Context, msg jetstream.Msg) {
	q, err := decodeQueued(msg.Data())
	if err != nil {
		d.log.Error("malformed queued watch dropped", zap.String("subject", msg.Subject()), zap.Error(err))
		_ = msg.Term()
		return
	}
	if ctx.Err() != nil || !d.m.startQueued(q, msg) {
		_ = msg.Nak()
	}
}
