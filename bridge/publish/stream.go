package publish

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
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
	// the stream saw within it is not stored again. Default 2m, so that a
	// retry after an outage or a restart is still recognised; minimum 1s
	// (a watch's checkpoint, not the window, prevents duplicates across a
	// takeover).
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
	defaultStreamDuplicates = 2 * time.Minute
	minStreamDuplicates     = time.Second
	defaultStreamMaxAge     = 7 * 24 * time.Hour
)

// StreamSubject returns the subject filter that captures every Assembly
// event under prefix: "<prefix>.v1.assemblies.>".
func StreamSubject(prefix string) string { return schemas.AllSubjects(prefix) }

// maxStreamReplicas is JetStream's own bound on a stream's replicas.
const maxStreamReplicas = 5

// EnsureStream creates the stream described by cfg, or updates it to cfg
// if it exists (so a changed duplicate window or age takes effect); calling
// it again with the same cfg changes nothing. On update only the fields
// StreamConfig names change: every other setting of an existing stream
// (made by hand or by another tool) is kept. A js that is not connected
// makes the request wait until ctx ends (or the client's default 5s
// timeout); the caller retries. It returns an error matching
// [ErrInvalidNATSConfig] for an invalid cfg, and [ErrStreamMismatch] when
// the existing stream cannot be changed to fit (its storage type).
func EnsureStream(ctx context.Context, js jetstream.StreamManager, cfg StreamConfig) error {
	sc, err := cfg.jetstreamConfig()
	if err != nil {
		return err
	}
	return ensureStream(ctx, js, sc)
}

// ensureStream creates sc or merges it into the existing stream.
func ensureStream(ctx context.Context, js jetstream.StreamManager, sc jetstream.StreamConfig) error {
	st, err := js.Stream(ctx, sc.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if _, err = js.CreateStream(ctx, sc); err == nil || !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return wrapEnsure(sc.Name, err)
		}
		st, err = js.Stream(ctx, sc.Name) // created meanwhile by another replica
	}
	if err != nil {
		return wrapEnsure(sc.Name, err)
	}
	have := st.CachedInfo().Config
	if have.Storage != sc.Storage {
		return fmt.Errorf("%w: stream %s has %v storage, configured %v; JetStream cannot change it in place",
			ErrStreamMismatch, sc.Name, have.Storage, sc.Storage)
	}
	want := mergeManaged(have, sc)
	if reflect.DeepEqual(want, have) {
		return nil
	}
	_, err = js.UpdateStream(ctx, want)
	return wrapEnsure(sc.Name, err)
}

// mergeManaged returns have with the fields the bridge manages taken from
// sc; everything else stays as it is.
func mergeManaged(have, sc jetstream.StreamConfig) jetstream.StreamConfig {
	have.Subjects = mergeSubjects(have.Subjects, sc.Subjects)
	have.Duplicates, have.MaxAge, have.MaxBytes, have.Replicas = sc.Duplicates, sc.MaxAge, sc.MaxBytes, sc.Replicas
	if sc.DiscardNewPerSubject {
		// The watch queue's one-request-per-Assembly rule is managed;
		// the event stream's discard policy is not.
		have.Discard, have.MaxMsgsPerSubject, have.DiscardNewPerSubject = sc.Discard, sc.MaxMsgsPerSubject, true
	}
	if sc.MaxMsgs != 0 {
		have.MaxMsgs = sc.MaxMsgs
	}
	if have.Description == "" {
		have.Description = sc.Description
	}
	return have
}

// mergeSubjects adds the subjects the bridge needs to those a stream
// already captures.
func mergeSubjects(have, need []string) []string {
	out := slices.Clone(have)
	for _, s := range need {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func wrapEnsure(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("publish: ensure stream %s: %w", name, err)
}

// CheckStream verifies, without changing anything, that the stream cfg
// describes exists and fits: it captures cfg's subjects, its duplicate
// window is at least cfg's, and its storage is cfg's. Use it when the
// stream is managed elsewhere. A misfit is an error matching
// [ErrStreamMismatch] that says what differs.
func CheckStream(ctx context.Context, js jetstream.StreamManager, cfg StreamConfig) error {
	sc, err := cfg.jetstreamConfig()
	if err != nil {
		return err
	}
	return checkStream(ctx, js, sc)
}

func checkStream(ctx context.Context, js jetstream.StreamManager, sc jetstream.StreamConfig) error {
	st, err := js.Stream(ctx, sc.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("%w: stream %s does not exist", ErrStreamMismatch, sc.Name)
	}
	if err != nil {
		return fmt.Errorf("publish: check stream %s: %w", sc.Name, err)
	}
	have := st.CachedInfo().Config
	for _, s := range sc.Subjects {
		if !slices.Contains(have.Subjects, s) {
			return fmt.Errorf("%w: stream %s does not capture %s (it has %q)", ErrStreamMismatch, sc.Name, s, have.Subjects)
		}
	}
	switch {
	case have.Duplicates < sc.Duplicates:
		return fmt.Errorf("%w: stream %s has a duplicate window of %v, below %v", ErrStreamMismatch, sc.Name, have.Duplicates, sc.Duplicates)
	case have.Storage != sc.Storage:
		return fmt.Errorf("%w: stream %s has %v storage, configured %v", ErrStreamMismatch, sc.Name, have.Storage, sc.Storage)
	case have.Retention != sc.Retention:
		return fmt.Errorf("%w: stream %s has %v retention, needs %v", ErrStreamMismatch, sc.Name, have.Retention, sc.Retention)
	case sc.DiscardNewPerSubject && (have.MaxMsgsPerSubject != sc.MaxMsgsPerSubject || !have.DiscardNewPerSubject):
		return fmt.Errorf("%w: stream %s must keep %d message(s) per subject and discard new ones", ErrStreamMismatch, sc.Name, sc.MaxMsgsPerSubject)
	}
	return nil
}

// Validate reports an invalid configuration with an error matching
// [ErrInvalidNATSConfig], as EnsureStream would, without a server.
func (c StreamConfig) Validate() error {
	_, err := c.jetstreamConfig()
	return err
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
	case c.Replicas > maxStreamReplicas:
		return jetstream.StreamConfig{}, fmt.Errorf("%w: stream replicas %d above %d", ErrInvalidNATSConfig, c.Replicas, maxStreamReplicas)
	case c.Storage != jetstream.FileStorage && c.Storage != jetstream.MemoryStorage:
		return jetstream.StreamConfig{}, fmt.Errorf("%w: stream storage %v is neither file nor memory", ErrInvalidNATSConfig, c.Storage)
	}
	if c.Duplicates == 0 {
		c.Duplicates = defaultStreamDuplicates
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
