package bridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// queuedWatch is a watch request in the work queue: the request, and
// what the queue adds to it.
type queuedWatch struct {
	WatchRequest
	// Watch identifies this request among the Assembly's watches: a
	// replay's events carry it, and so does a watch.canceled event.
	Watch string `json:"watch"`
}

// QueueSubject returns the work-queue subject of one Assembly's watch:
// "<prefix>.v1.watches.<id>".
func QueueSubject(prefix, id string) string { return prefix + ".v1.watches." + id }

// QueueSubjects returns the filter of every queued watch:
// "<prefix>.v1.watches.*".
func QueueSubjects(prefix string) string { return prefix + ".v1.watches.*" }

// Messages the server answers a queue publish with when the queue is
// full, as text: JetStream reports both as the same API error code.
const (
	errTextPerSubject = "maximum messages per subject exceeded"
	errTextQueueFull  = "maximum messages exceeded"
	errTextQueueBytes = "maximum bytes exceeded"
)

// enqueue puts a watch request in the work queue. It reports queued false
// when a request for the Assembly is already there (pending or running):
// the queue keeps one per Assembly, so that one stands.
func (d *durable) enqueue(ctx context.Context, req WatchRequest) (queued bool, err error) {
	q := queuedWatch{WatchRequest: req, Watch: newWatchID()}
	b, err := json.Marshal(q)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	_, err = d.js.PublishMsg(ctx, &nats.Msg{Subject: QueueSubject(d.prefix, req.AssemblyID), Data: b})
	switch {
	case err == nil:
		return true, nil
	case strings.Contains(err.Error(), errTextPerSubject):
		return false, nil
	case strings.Contains(err.Error(), errTextQueueFull), strings.Contains(err.Error(), errTextQueueBytes):
		return false, &WatchError{CodeTooManyWatches, "the cluster's watch queue is full"}
	}
	return false, fmt.Errorf("bridge: enqueue watch %s: %w", req.AssemblyID, err)
}

// pending returns the queued request of an Assembly, if there is one.
func (d *durable) pending(ctx context.Context, id string) (*queuedWatch, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	raw, err := d.store.Watches.GetLastMsgForSubject(ctx, QueueSubject(d.prefix, id))
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return nil, 0, nil
	case err != nil:
		return nil, 0, fmt.Errorf("bridge: watch queue: %w", err)
	}
	var q queuedWatch
	if err := json.Unmarshal(raw.Data, &q); err != nil {
		return nil, 0, fmt.Errorf("bridge: queued watch %s: %w", id, err)
	}
	return &q, raw.Sequence, nil
}

// dropPending removes a queued request that no replica runs.
func (d *durable) dropPending(ctx context.Context, seq uint64) error {
	ctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	if err := d.store.Watches.DeleteMsg(ctx, seq); err != nil {
		return fmt.Errorf("bridge: drop queued watch: %w", err)
	}
	return nil
}

func decodeQueued(data []byte) (queuedWatch, error) {
	var q queuedWatch
	if len(data) > maxWatchRequest {
		return q, errors.New("queued watch larger than 64 KiB")
	}
	err := json.Unmarshal(data, &q)
	return q, err
}

func newWatchID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
