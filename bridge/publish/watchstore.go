package publish

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// WatchStoreConfig describes the JetStream resources that make watches
// durable and shared by replicas: a work-queue stream of watch requests
// (one subject per Assembly), the durable consumer all replicas pull from,
// and two KV buckets, one of checkpoints and one of finished Assemblies.
// Zero values mean the documented defaults.
type WatchStoreConfig struct {
	// Stream is the event stream's configuration; its Name prefixes the
	// resources' names, and its Duplicates, MaxAge, MaxBytes, Storage and
	// Replicas apply to them too.
	Stream StreamConfig
	// QueueSubjects is the subject filter of the watch requests, normally
	// "<prefix>.v1.watches.*"; required.
	QueueSubjects string
	// FinishedTTL is how long a finished Assembly is remembered; default 7
	// days.
	FinishedTTL time.Duration
	// AckWait is how long a watch stays with a replica that stopped
	// heartbeating before another replica gets it; default 30s.
	AckWait time.Duration
	// MaxQueued bounds the watches pending or running in the cluster;
	// default 1,000,000.
	MaxQueued int64
}

// Defaults of [WatchStoreConfig].
const (
	DefaultFinishedTTL  = 7 * 24 * time.Hour
	DefaultWatchAckWait = 30 * time.Second
	defaultMaxQueued    = 1_000_000
)

// WatchConsumer is the name of the durable consumer of watch requests.
const WatchConsumer = "tlbridge-watches"

// WatchStore holds the handles of the resources [WatchStoreConfig]
// describes.
type WatchStore struct {
	// QueueStream is the name of the work-queue stream.
	QueueStream string
	// Watches is the work-queue stream, for reading or removing the
	// request of one Assembly.
	Watches jetstream.Stream
	// Queue is the durable pull consumer every replica shares.
	Queue jetstream.Consumer
	// Checkpoints holds per running watch what was published.
	Checkpoints jetstream.KeyValue
	// Finished remembers finished Assemblies for FinishedTTL.
	Finished jetstream.KeyValue
	// AckWait is the consumer's AckWait.
	AckWait time.Duration
}

// Names of the resources beside the event stream.
func (c WatchStoreConfig) queueName() string        { return c.Stream.Name + "_WATCHES" }
func (c WatchStoreConfig) checkpointBucket() string { return c.Stream.Name + "_CHECKPOINTS" }
func (c WatchStoreConfig) finishedBucket() string   { return c.Stream.Name + "_FINISHED" }

// EnsureWatchStore creates or updates the resources and returns their
// handles. Like [EnsureStream] it keeps what an existing stream has beyond
// the managed fields. Errors match [ErrInvalidNATSConfig] or
// [ErrStreamMismatch], or are the server's.
func EnsureWatchStore(ctx context.Context, js jetstream.JetStream, cfg WatchStoreConfig) (*WatchStore, error) {
	return openWatchStore(ctx, js, cfg, true)
}

// CheckWatchStore opens resources managed elsewhere, after checking that
// they fit cfg; it changes nothing. A misfit matches [ErrStreamMismatch].
func CheckWatchStore(ctx context.Context, js jetstream.JetStream, cfg WatchStoreConfig) (*WatchStore, error) {
	return openWatchStore(ctx, js, cfg, false)
}

func openWatchStore(ctx context.Context, js jetstream.JetStream, cfg WatchStoreConfig, manage bool) (*WatchStore, error) {
	qc, err := cfg.queueConfig()
	if err != nil {
		return nil, err
	}
	s := &WatchStore{QueueStream: qc.Name, AckWait: cfg.ackWait()}
	if manage {
		err = ensureStream(ctx, js, qc)
	} else {
		err = checkStream(ctx, js, qc)
	}
	if err != nil {
		return nil, err
	}
	if s.Watches, err = js.Stream(ctx, qc.Name); err != nil {
		return nil, fmt.Errorf("publish: watch queue: %w", err)
	}
	if s.Queue, err = openConsumer(ctx, js, qc.Name, cfg.consumerConfig(qc.MaxMsgs), manage); err != nil {
		return nil, err
	}
	base := cfg.Stream
	if s.Checkpoints, err = openBucket(ctx, js, cfg.bucketConfig(cfg.checkpointBucket(), base.MaxAge), manage); err != nil {
		return nil, err
	}
	if s.Finished, err = openBucket(ctx, js, cfg.bucketConfig(cfg.finishedBucket(), cfg.finishedTTL()), manage); err != nil {
		return nil, err
	}
	return s, nil
}

func (c WatchStoreConfig) finishedTTL() time.Duration {
	if c.FinishedTTL > 0 {
		return c.FinishedTTL
	}
	return DefaultFinishedTTL
}

func (c WatchStoreConfig) ackWait() time.Duration {
	if c.AckWait > 0 {
		return c.AckWait
	}
	return DefaultWatchAckWait
}

// queueConfig is the work-queue stream: one message per Assembly, a second
// request for one already there refused by the server (and answered from
// what is there by the caller).
func (c WatchStoreConfig) queueConfig() (jetstream.StreamConfig, error) {
	if c.QueueSubjects == "" {
		return jetstream.StreamConfig{}, fmt.Errorf("%w: watch queue has no subjects", ErrInvalidNATSConfig)
	}
	if c.FinishedTTL < 0 || c.AckWait < 0 || c.MaxQueued < 0 {
		return jetstream.StreamConfig{}, fmt.Errorf("%w: watch store has a negative limit", ErrInvalidNATSConfig)
	}
	base := c.Stream
	base.Name, base.Subjects = c.queueName(), []string{c.QueueSubjects}
	sc, err := base.jetstreamConfig()
	if err != nil {
		return sc, err
	}
	sc.Description = "watch requests of tlbridge, one per Assembly"
	sc.Retention = jetstream.WorkQueuePolicy
	sc.Discard = jetstream.DiscardNew
	sc.MaxMsgsPerSubject = 1
	sc.DiscardNewPerSubject = true
	sc.MaxMsgs = c.MaxQueued
	if sc.MaxMsgs == 0 {
		sc.MaxMsgs = defaultMaxQueued
	}
	return sc, nil
}

func (c WatchStoreConfig) consumerConfig(maxPending int64) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       WatchConsumer,
		Description:   "watch workers of every tlbridge replica",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.ackWait(),
		MaxDeliver:    -1,
		MaxAckPending: int(maxPending),
		Replicas:      c.Stream.Replicas,
	}
}

func (c WatchStoreConfig) bucketConfig(name string, ttl time.Duration) jetstream.KeyValueConfig {
	s := c.Stream
	maxBytes := s.MaxBytes
	if maxBytes == 0 {
		maxBytes = -1
	}
	replicas := max(s.Replicas, 1)
	return jetstream.KeyValueConfig{Bucket: name, TTL: ttl, MaxBytes: maxBytes, Storage: s.Storage, Replicas: replicas}
}

func openConsumer(ctx context.Context, js jetstream.JetStream, stream string, cc jetstream.ConsumerConfig, manage bool) (jetstream.Consumer, error) {
	if manage {
		c, err := js.CreateOrUpdateConsumer(ctx, stream, cc)
		if err != nil {
			return nil, fmt.Errorf("publish: ensure consumer %s: %w", cc.Durable, err)
		}
		return c, nil
	}
	c, err := js.Consumer(ctx, stream, cc.Durable)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		return nil, fmt.Errorf("%w: consumer %s of stream %s does not exist", ErrStreamMismatch, cc.Durable, stream)
	case err != nil:
		return nil, fmt.Errorf("publish: check consumer %s: %w", cc.Durable, err)
	}
	if c.CachedInfo().Config.AckPolicy != jetstream.AckExplicitPolicy {
		return nil, fmt.Errorf("%w: consumer %s must ack explicitly", ErrStreamMismatch, cc.Durable)
	}
	return c, nil
}

func openBucket(ctx context.Context, js jetstream.JetStream, kc jetstream.KeyValueConfig, manage bool) (jetstream.KeyValue, error) {
	if manage {
		kv, err := js.CreateOrUpdateKeyValue(ctx, kc)
		if err != nil {
			return nil, fmt.Errorf("publish: ensure bucket %s: %w", kc.Bucket, err)
		}
		return kv, nil
	}
	kv, err := js.KeyValue(ctx, kc.Bucket)
	switch {
	case errors.Is(err, jetstream.ErrBucketNotFound):
		return nil, fmt.Errorf("%w: bucket %s does not exist", ErrStreamMismatch, kc.Bucket)
	case err != nil:
		return nil, fmt.Errorf("publish: check bucket %s: %w", kc.Bucket, err)
	}
	return kv, nil
}
