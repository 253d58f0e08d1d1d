package publish_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/bridge/publish/publishtest"
)

// BenchmarkJetStreamPublish measures publishing batches of one Key's
// messages to a file-backed stream, with one ack awaited at a time and
// pipelined. ns/op is per message.
func BenchmarkJetStreamPublish(b *testing.B) {
	for _, window := range []int{1, 32} {
		for _, batch := range []int{1, 16, 128} {
			b.Run(fmt.Sprintf("inflight=%d/batch=%d", window, batch), func(b *testing.B) {
				benchPublish(b, window, batch)
			})
		}
	}
}

func benchPublish(b *testing.B, window, batch int) {
	_, url := publishtest.StartNATS(b)
	nc, err := publish.Connect(b.Context(), publish.NATSConfig{URL: url, NoReconnectBuffer: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	if err := publish.EnsureStream(b.Context(), js, publish.StreamConfig{Name: testStream, Subjects: []string{publish.StreamSubject(publishtest.Prefix)}}); err != nil {
		b.Fatal(err)
	}
	p, err := publish.NewJetStream(nc, publish.JetStreamConfig{MaxInFlightPerKey: window})
	if err != nil {
		b.Fatal(err)
	}
	defer closePublisher(b, p)
	key := testKey(0)
	msgs := make([]publish.Message, batch)
	n := 0
	for b.Loop() {
		i := n % batch
		msgs[i] = publish.Message{
			Subject: fmt.Sprintf("%s.v1.assemblies.%s.e", publishtest.Prefix, key),
			ID:      fmt.Sprintf("%s/e%d", key, n), Data: []byte(`{"n":1}`), Key: key,
		}
		n++
		if i == batch-1 {
			if err := p.Publish(b.Context(), msgs...); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func closePublisher(b *testing.B, p *publish.JetStream) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		b.Error(err)
	}
}
