package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/redact"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/consume"
)

func writeTailUsage(w io.Writer) {
	fmt.Fprintf(w, `Usage: tlbridge tail [flags]

Prints the events of the stream as they arrive, one line each (time, Assembly
ID, event type, what happened), or with --json each event's CloudEvents JSON.
It only reads: nothing is acknowledged, nothing is left on the server. Stop
it with Ctrl-C.

It connects like 'tlbridge serve': TLBRIDGE_NATS_URL (empty: %s, where
a local 'tlbridge serve' runs its embedded server), the same credential and
TLS variables, TLBRIDGE_SUBJECT_PREFIX and TLBRIDGE_STREAM_NAME. In
Kubernetes: kubectl exec deploy/tlbridge -- tlbridge tail
`, nats.DefaultURL)
}

// tailArgs are tail's parsed flags.
type tailArgs struct {
	filter consume.Filter
	since  time.Duration
	json   bool
}

func runTail(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ta, code, ok := parseTailArgs(args, stdout, stderr)
	if !ok {
		return code
	}
	cfg, err := loadCheckedConfig()
	if err != nil {
		return configFailure(stderr, err)
	}
	if !cfg.Jetstream {
		fmt.Fprintf(stderr, "tlbridge tail: reads the JetStream stream, and %s_JETSTREAM=false publishes on core NATS only\n", envPrefix)
		return exitUsage
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	nc, err := connectTail(ctx, cfg, log)
	if err != nil {
		if errors.Is(err, publish.ErrInvalidNATSConfig) {
			return configFailure(stderr, fmt.Errorf("%w: %w", errConfig, err))
		}
		fmt.Fprintf(stderr, "tlbridge tail: %v\n", err)
		return exitFailure
	}
	defer nc.Close()
	return tail(ctx, nc, cfg, ta, stdout, log)
}

func parseTailArgs(args []string, stdout, stderr io.Writer) (tailArgs, int, bool) {
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	assembly := fs.String("assembly", "", "only the events of this Assembly `ID`")
	steps := fs.String("step", "", "only the results of these Steps (comma-separated `names`)")
	types := fs.String("type", "", "only these event `types` (comma-separated), e.g. completed,failed,step.result")
	since := fs.Duration("since", 0, "first print the events stored in this last `duration`, e.g. 10m (default: new events only)")
	asJSON := fs.Bool("json", false, "print each event's CloudEvents JSON instead of a line")
	usage := func(w io.Writer) { writeTailUsage(w); writeFlagDefaults(w, fs) }
	if ok, code := parseFlags(fs, args, usage, stdout, stderr); !ok {
		return tailArgs{}, code, false
	}
	ta := tailArgs{since: *since, json: *asJSON, filter: consume.Filter{AssemblyID: *assembly, Steps: splitList(*steps)}}
	for _, t := range splitList(*types) {
		ta.filter.Events = append(ta.filter.Events, schemas.Type(t))
	}
	if err := ta.check(fs); err != nil {
		fmt.Fprintf(stderr, "tlbridge tail: %v\n", err)
		return tailArgs{}, exitUsage, false
	}
	return ta, exitOK, true
}

func (ta tailArgs) check(fs *flag.FlagSet) error {
	switch {
	case fs.NArg() != 0:
		return fmt.Errorf("unexpected argument %q (the Assembly goes in --assembly)", fs.Arg(0))
	case ta.filter.AssemblyID != "" && !transloadit.ValidAssemblyID(ta.filter.AssemblyID):
		return fmt.Errorf("--assembly %q is not an Assembly ID (32 lower-case hex characters)", ta.filter.AssemblyID)
	case ta.since < 0:
		return fmt.Errorf("--since must be positive, got %s", ta.since)
	}
	for _, t := range ta.filter.Events {
		if !t.Known() {
			return fmt.Errorf("--type: unknown event type %q; known: %s", t, typeList())
		}
	}
	return nil
}

func typeList() string {
	var names []string
	for _, t := range schemas.Types() {
		names = append(names, string(t))
	}
	return strings.Join(names, ",")
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// connectTail connects to NATS and waits, boundedly, until it is up: an
// operator typing tail wants an error, not a silent wait.
func connectTail(ctx context.Context, cfg Config, log *zap.Logger) (*nats.Conn, error) {
	settings := cfg.natsSettings()
	nc, err := publish.Connect(ctx, settings, log.Named("nats"))
	if err != nil {
		return nil, err
	}
	if err := awaitReachable(ctx, nc, redact.URL(settings.URL)); err != nil {
		nc.Close()
		return nil, err
	}
	return nc, nil
}

// tail prints events until ctx ends (exit 0) or reading fails (exit 1).
func tail(ctx context.Context, nc *nats.Conn, cfg Config, ta tailArgs, stdout io.Writer, log *zap.Logger) int {
	js, err := jetstream.New(nc)
	if err != nil {
		log.Error("jetstream", zap.Error(err))
		return exitFailure
	}
	start := consume.WithNewOnly()
	if ta.since > 0 {
		start = consume.WithStartTime(time.Now().Add(-ta.since))
	}
	events := consume.Events(ctx, js, ta.filter, consume.WithPrefix(cfg.SubjectPrefix), consume.WithStream(cfg.StreamName), start)
	for m, err := range events {
		switch {
		case ctx.Err() != nil:
			return exitOK
		case errors.Is(err, schemas.ErrInvalidEvent):
			log.Warn("not a v1 event", zap.String("subject", m.Subject), zap.Error(err))
			continue
		case err != nil:
			log.Error("reading the stream failed", zap.String("stream", cfg.StreamName), zap.Error(err))
			return exitFailure
		}
		if err := printTailed(stdout, m, ta.json); err != nil {
			log.Error("writing events", zap.Error(err))
			return exitFailure
		}
	}
	return exitOK
}

func printTailed(w io.Writer, m consume.Message, asJSON bool) error {
	if asJSON {
		_, err := fmt.Fprintf(w, "%s\n", m.Data)
		return err
	}
	_, err := fmt.Fprintln(w, eventLine(m.Event.Time.Local(), "", &m.Event))
	return err
}
