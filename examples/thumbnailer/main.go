// Command thumbnailer is an example consumer of tlbridge's events, built
// on package consume: it catalogues the results of one Step (by default
// "thumbs") of every Assembly, one JSON file per thumbnail, and marks each
// Assembly done when it completes, so a web app can list an upload's
// thumbnails without asking Transloadit.
//
// It runs a durable JetStream consumer: stopped or restarted, it goes on
// where it left off, and a file it could not write is retried later. A
// redelivered event rewrites the same file, named for the event's ID.
//
//	THUMBNAILER_NATS_URL  NATS server (default nats://127.0.0.1:4222)
//	THUMBNAILER_STEP      Step whose results are thumbnails (default thumbs)
//	THUMBNAILER_DIR       catalogue directory (default /var/lib/thumbnailer)
//	THUMBNAILER_DURABLE   consumer name, shared by replicas (default thumbnailer)
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/consume"
)

// config is the service's configuration, from the environment.
type config struct {
	NATSURL, Step, Dir, Durable string
}

func configFromEnv() config {
	get := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	return config{
		NATSURL: get("THUMBNAILER_NATS_URL", nats.DefaultURL),
		Step:    get("THUMBNAILER_STEP", "thumbs"),
		Dir:     get("THUMBNAILER_DIR", "/var/lib/thumbnailer"),
		Durable: get("THUMBNAILER_DURABLE", "thumbnailer"),
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	log, _ := zap.NewProduction()
	err := run(ctx, configFromEnv(), log)
	stop()
	_ = log.Sync()
	if err != nil {
		fmt.Fprintln(os.Stderr, "thumbnailer:", err)
		os.Exit(1)
	}
}

// run consumes events until ctx ends.
func run(ctx context.Context, cfg config, log *zap.Logger) error {
	cat, err := newCatalog(cfg.Dir)
	if err != nil {
		return err
	}
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("thumbnailer"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	log.Info("consuming", zap.String("step", cfg.Step), zap.String("dir", cfg.Dir))
	for {
		err := consume.Consume(ctx, js, options(cfg, log), handlers(cat, log))
		if err == nil || ctx.Err() != nil || errors.Is(err, consume.ErrInvalidOptions) {
			return err
		}
		// The stream may not exist yet (the bridge creates it): try again.
		log.Warn("consumer stopped; retrying", zap.Error(err))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(5 * time.Second):
		}
	}
}

func options(cfg config, log *zap.Logger) consume.Options {
	return consume.Options{
		Durable: cfg.Durable,
		Steps:   []string{cfg.Step},
		Events:  []schemas.Type{schemas.TypeCompleted, schemas.TypeFailed},
		OnError: func(subject string, err error) {
			log.Warn("event not handled", zap.String("subject", subject), zap.Error(err))
		},
	}
}

func handlers(cat *catalog, log *zap.Logger) consume.Handlers {
	return consume.Handlers{
		StepResult: func(_ context.Context, ev schemas.Event, r *schemas.StepResult) error {
			return cat.addThumbnail(ev.ID, r)
		},
		Completed: func(_ context.Context, _ schemas.Event, c *schemas.Completed) error {
			log.Info("assembly completed", zap.String("assembly_id", c.AssemblyID), zap.Int("results", c.Summary.Results))
			return cat.markDone(c.AssemblyID, c.Summary)
		},
		Failed: func(_ context.Context, _ schemas.Event, f *schemas.Failed) error {
			log.Warn("assembly failed", zap.String("assembly_id", f.AssemblyID), zap.String("error", f.Error))
			return nil
		},
	}
}
