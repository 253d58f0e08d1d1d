package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/bridge/normalize"
)

// watchRecord is a running watch as every replica sees it, kept in the
// checkpoint bucket under the Assembly ID. Its owner writes it when the
// watch starts and after each batch of events is acknowledged, so a
// replica taking over publishes only what came after.
type watchRecord struct {
	AssemblyID string               `json:"assembly_id"`
	Watch      string               `json:"watch"` // the queued request's id
	Replay     bool                 `json:"replay,omitempty"`
	Owner      string               `json:"owner"`
	StartedAt  time.Time            `json:"started_at"`
	UpdatedAt  time.Time            `json:"updated_at"`
	Events     int                  `json:"events"`
	Checkpoint normalize.Checkpoint `json:"checkpoint"`
}

// resumes reports whether r is the progress of the queued watch q: a
// replay continues only its own run; any other watch continues whatever
// was published before.
func (r *watchRecord) resumes(q queuedWatch) bool {
	return r.Replay == q.Replay && (!q.Replay || r.Watch == q.Watch)
}

// finishedRecord remembers a finished Assembly for FinishedTTL.
type finishedRecord struct {
	AssemblyID string    `json:"assembly_id"`
	Outcome    Outcome   `json:"outcome"`
	Watch      string    `json:"watch"`
	FinishedAt time.Time `json:"finished_at"`
}

// maxListed bounds the watches a cluster-wide list reads.
const maxListed = 10000

// kvTimeout bounds one KV operation when the caller's ctx has no deadline.
const kvTimeout = 5 * time.Second

// getJSON reads key into v; found is false for a missing key.
// getJSON decodes the value of key into v and returns its revision: 0 when
// the key has no value.
func getJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) (rev uint64, err error) {
	ctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	e, err := kv.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("bridge: read %s from %s: %w", key, kv.Bucket(), err)
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return 0, fmt.Errorf("bridge: decode %s from %s: %w", key, kv.Bucket(), err)
	}
	return e.Revision(), nil
}

// errChanged says a value was written over since its writer last read or
// wrote it.
var errChanged = errors.New("changed by another writer")

// changed turns the KV's refusals of a write at a stale revision into
// errChanged.
func changed(err error) error {
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return errChanged
	}
	return err
}

// putJSON stores v under key. With expect nil it writes over whatever is
// there. Otherwise it writes only over revision *expect (0: no value) and
// sets *expect to the new revision; a value written meanwhile fails it
// with errChanged.
//
// The KV write copies the encoding into the connection's buffer before
// it returns, so the encoding's buffer is reused after it.
func putJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any, expect *uint64) error {
	bp, buf := encodeBuf()
	b, err := encodeRecord(buf, v)
	defer putEncodeBuf(bp, b)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	var rev uint64
	switch {
	case expect == nil:
		_, err = kv.Put(ctx, key, b)
	case *expect == 0:
		rev, err = kv.Create(ctx, key, b)
	default:
		rev, err = kv.Update(ctx, key, b, *expect)
	}
	if err = changed(err); err != nil {
		return fmt.Errorf("bridge: write %s to %s: %w", key, kv.Bucket(), err)
	}
	if expect != nil {
		*expect = rev
	}
	return nil
}

// deleteKey removes key when its value is still revision expect, as its
// deleter last read or wrote it; a value written (or deleted) since fails
// it with errChanged and stays. An expect of 0 removes whatever is there.
func deleteKey(ctx context.Context, kv jetstream.KeyValue, key string, expect uint64) error {
	ctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	err := changed(kv.Delete(ctx, key, jetstream.LastRevision(expect)))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("bridge: delete %s from %s: %w", key, kv.Bucket(), err)
	}
	return nil
}

func (d *durable) finished(ctx context.Context, id string) (finishedRecord, bool, error) {
	var r finishedRecord
	rev, err := getJSON(ctx, d.store.Finished, id, &r)
	return r, rev != 0, err
}

func (d *durable) record(ctx context.Context, id string) (*watchRecord, error) {
	r, _, err := d.recordAt(ctx, id)
	return r, err
}

// recordAt returns the record of id, or nil, and its revision (0 for none).
func (d *durable) recordAt(ctx context.Context, id string) (*watchRecord, uint64, error) {
	var r watchRecord
	rev, err := getJSON(ctx, d.store.Checkpoints, id, &r)
	if rev == 0 || err != nil {
		return nil, 0, err
	}
	return &r, rev, nil
}

// records returns every running watch's record, at most maxListed. It
// reads the bucket in one pass: the watcher delivers each key's latest
// value, then a nil that marks the end of what is stored.
func (d *durable) records(ctx context.Context) ([]watchRecord, error) {
	ctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	w, err := d.store.Checkpoints.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("bridge: list watches: %w", err)
	}
	defer func() { _ = w.Stop() }()
	var out []watchRecord
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("bridge: list watches: %w", ctx.Err())
		case e, ok := <-w.Updates():
			if !ok || e == nil || len(out) == maxListed {
				return out, nil
			}
			var r watchRecord
			if json.Unmarshal(e.Value(), &r) == nil {
				out = append(out, r)
			}
		}
	}
}
