package publish

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/schemas"
)

// StreamConfig describes the JetStream stream the bridge publishes into.
// Zero values mean the documented defaults.
type StreamConfig struct {
	// Name of the stream; required (the service's default is TRANSLOADIT).
	Name string
	// Subjects the stream captures; required, normally
	// [StreamSubject](prefix).
	Subjects []string
	// Duplicates is the de-duplication window: a message whose Nats-Msg-Id
	// the stream saw within it is not stored again. Default and minimum 2m,
	// so that a retry after an outage or a restart is still recognised.
	Duplicates time.Duration
	// MaxAge bounds how long messages are kept; default 7 days. It must not
	// be shorter than Duplicates.
	MaxAge time.Duration
	// MaxBytes bounds the stream's size; 0 means no limit beyond MaxAge.
	MaxBytes int64
	// Storage: the zero value is file storage.
	Storage jetstream.StorageType
	// Replicas: default 1.
	Replicas int
}

// Defaults and bounds of [StreamConfig].
const (
	minStreamDuplicates = 2 * time.Minute
	defaultStreamMaxAge = 7 * 24 * time.Hour
)

// StreamSubject returns the subject filter that captures every Assembly
// event under prefix: "<prefix>.v1.assemblies.>".
func StreamSubject(prefix string) string { return schemas.AllSubjects(prefix) }

// EnsureStream creates the stream described by cfg, or updates it to cfg
// if it exists (so a changed duplicate window or age takes effect); calling
// it again with the same cfg changes nothing. Fields StreamConfig does not
// name are reset to the server's defaults on update: the bridge owns a
// stream it manages. A js that is not connected makes the request wait
// until ctx ends (or the client's default 5s timeout); the caller retries.
// It returns an error matching [ErrInvalidNATSConfig] for an invalid cfg.
func EnsureStream(ctx context.Context, js jetstream.StreamManager, cfg StreamConfig) error {
	sc, err := cfg.jetstreamConfig()
	if err != nil {
		return err
	}
	if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
		return fmt.Errorf("publish: ensure stream %s: %w", cfg.Name, err)
	}
	return nil
}

func (c StreamConfig) jetstreamConfig() (jetstream.StreamConfig, error) {
	switch {
	case c.Name == "":
		return jetstream.StreamConfig{}, fmt.Errorf("%w: stream name is empty", ErrInvalidNATSConfig)
	case len(c.Subjects) == 0:
		return jetstream.StreamConfig{}, fmt.Errorf("%w: stream %s has no subjects", ErrInvalidNATSConfig, c.Name)
	case c.Duplicates != 0 && c.Duplicates < minStreamDuplicates:
		return jetstream.StreamConfig{}, fmt.Errorf("%w: stream duplicate window %v is below %v", ErrInvalidNATSConfig, c.Duplicates, minStreamDuplicates)
	case c.MaxAge < 0 || c.MaxBytes < 0 || c.Replicas < 0:
		return jetstream.StreamConfig{}, fmt.Errorf("%w: stream %s has a negative limit", ErrInvalidNATSConfig, c.Name)
	}
	if c.Duplicates == 0 {
		c.Duplicates = minStreamDuplicates
	}
	if c.MaxAge == 0 {
		c.MaxAge = defaultStreamMaxAge
	}
	if c.MaxAge < c.Duplicates {
		return jetstream.StreamConfig{}, fmt.Errorf("%w: stream max age %v is shorter than its duplicate window %v", ErrInvalidNATSConfig, c.MaxAge, c.Duplicates)
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = -1
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	return jetstream.StreamConfig{
		Name:        c.Name,
		Description: "Transloadit Assembly events published by tlbridge",
		Subjects:    c.Subjects,
		Duplicates:  c.Duplicates,
		MaxAge:      c.MaxAge,
		MaxBytes:    c.MaxBytes,
		Storage:     c.Storage,
		Replicas:    c.Replicas,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
	}, nil
}
