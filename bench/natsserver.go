package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/schemas"
)

// Names every target shares: the bridge's defaults, so tlbridge runs
// with nothing but URLs configured.
const (
	streamName = "TRANSLOADIT"
)

// startNATS starts an embedded NATS server with JetStream on file
// storage in dir, listening on a random loopback port.
func startNATS(dir string) (*server.Server, error) {
	opts := &server.Options{
		Host:      "127.0.0.1",
		Port:      server.RANDOM_PORT,
		JetStream: true,
		StoreDir:  dir,
		NoLog:     true,
		NoSigs:    true,
		// Large watch counts mean large bursts of requests and acks.
		MaxPending: 256 << 20,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, err
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("nats: not ready in 10s")
	}
	return ns, nil
}

func stopNATS(ns *server.Server) {
	ns.Shutdown()
	ns.WaitForShutdown()
}

// resetStream deletes every stream of the bench's server (the events,
// and a bridge's watch queue and KV buckets) and recreates the event
// stream, so each phase starts empty and the subscriber sees only its own
// events. The configuration is what tlbridge creates itself (two-minute
// duplicate window).
func resetStream(ctx context.Context, js jetstream.JetStream) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	names := js.StreamNames(ctx)
	var old []string
	for name := range names.Name() {
		old = append(old, name)
	}
	if err := names.Err(); err != nil {
		return fmt.Errorf("list streams: %w", err)
	}
	for _, name := range old {
		if err := js.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("delete stream %s: %w", name, err)
		}
	}
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:       streamName,
		Subjects:   []string{schemas.AllSubjects(schemas.DefaultPrefix)},
		Storage:    jetstream.FileStorage,
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("create stream: %w", err)
	}
	return nil
}
