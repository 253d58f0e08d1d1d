package bridge

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/bridge/normalize"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/bridge/publish/publishtest"
)

// BenchmarkCheckpointWrite measures what a durable watch adds after each
// acknowledged batch of events: one KV write of its checkpoint, on an
// embedded server with file storage. The checkpoint is that of an
// Assembly with results results in three Steps.
func BenchmarkCheckpointWrite(b *testing.B) {
	for _, results := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("results=%d", results), func(b *testing.B) {
			kv := benchBucket(b)
			rec := benchRecord(results)
			ctx := context.Background()
			var rev uint64 // as a lease writes: over its own last write
			b.ReportAllocs()
			for b.Loop() {
				rec.Events++
				if err := putJSON(ctx, kv, rec.AssemblyID, &rec, &rev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchBucket(b *testing.B) jetstream.KeyValue {
	b.Helper()
	_, url := publishtest.StartNATS(b)
	_, js := publishtest.ConnectJetStream(b, url)
	s, err := publish.EnsureWatchStore(context.Background(), js, publish.WatchStoreConfig{
		Stream: publish.StreamConfig{Name: "BENCH"}, QueueSubjects: "bench.v1.watches.*",
	})
	if err != nil {
		b.Fatal(err)
	}
	return s.Checkpoints
}

func benchRecord(results int) watchRecord {
	cp := normalize.Checkpoint{State: "ASSEMBLY_EXECUTING", Uploading: true, Executing: true, Meta: true,
		Uploads: []string{"a1b2c3d4e5f60718293a4b5c6d7e8f90"}}
	for s := range 3 {
		step := normalize.StepCheckpoint{Name: fmt.Sprintf("step%d", s)}
		for r := range results / 3 {
			step.Results = append(step.Results, fmt.Sprintf("%032x", s*100000+r))
		}
		cp.Steps = append(cp.Steps, step)
	}
	return watchRecord{AssemblyID: "2b7beaddf0a046e2ada603346f2cbee1", Watch: "0123456789abcdef", Owner: "bench",
		StartedAt: time.Now(), Checkpoint: cp}
}
