package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nats-io/nats.go"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/redact"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
)

func writeWatchUsage(w io.Writer) {
	fmt.Fprintf(w, `Usage: tlbridge watch <assembly id | assembly URL>

Watches one Assembly with the same worker as 'tlbridge serve' and prints
each event as one CloudEvents JSON line on stdout; logs go to stderr. The
argument is an Assembly ID (32 hex characters), its status URL
(assembly_ssl_url) or its update stream URL (update_stream_url).

Events are published to NATS as well when TLBRIDGE_NATS_URL is set. All
TLBRIDGE_* variables of 'tlbridge serve' apply (see 'tlbridge serve --help');
TLBRIDGE_API_BASE and TLBRIDGE_ALLOWED_HOSTS decide where the status is
fetched from.

Exit status:
  0  the Assembly reached a terminal event (completed, failed, canceled or
     aborted: the watch succeeded)
  1  the watch failed (watch.failed, watch.expired) or was interrupted
  2  usage or configuration error
`)
}

func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	if ok, code := parseFlags(fs, args, writeWatchUsage, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "tlbridge watch: want exactly one Assembly ID or URL, got %d arguments\n\n", fs.NArg())
		writeWatchUsage(stderr)
		return exitUsage
	}
	req, err := watchRequestFor(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "tlbridge watch: %s\n", redact.Text(err.Error()))
		return exitUsage
	}
	cfg, err := loadCheckedConfig()
	if err != nil {
		return configFailure(stderr, err)
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	return watchOne(ctx, cfg, log, req, &lineWriter{w: stdout}, stderr)
}

// watchOne runs an app without intake or HTTP, watches req and waits for
// the watch to end.
func watchOne(ctx context.Context, cfg Config, log *zap.Logger, req bridge.WatchRequest, out *lineWriter, stderr io.Writer) int {
	a := newApp(cfg, log, appOptions{NoIntake: true, NATSOptional: true, Local: true, OnEvent: out.event})
	if err := a.Start(ctx); err != nil {
		if errors.Is(err, errConfig) {
			return configFailure(stderr, err)
		}
		fmt.Fprintf(stderr, "tlbridge watch: %v\n", err)
		return exitFailure
	}
	if err := awaitNATS(ctx, a); err != nil {
		fmt.Fprintf(stderr, "tlbridge watch: %v\n", err)
		_ = a.Shutdown()
		return exitFailure
	}
	code := awaitWatch(ctx, a.mgr, req, stderr)
	if err := a.Shutdown(); err != nil && code == exitOK {
		// Every event was printed, yet publishing to NATS may not have
		// finished: report it.
		fmt.Fprintf(stderr, "tlbridge watch: %v\n", err)
		code = exitFailure
	}
	if err := out.Err(); err != nil {
		fmt.Fprintf(stderr, "tlbridge watch: writing events: %v\n", err)
		code = exitFailure
	}
	return code
}

// watchConnectTimeout bounds the wait for NATS in watch: unlike serve,
// which waits for NATS as long as it takes, a command-line watch reports
// an unreachable server instead of hanging silently.
var watchConnectTimeout = 10 * time.Second

func awaitNATS(ctx context.Context, a *app) error {
	if a.nc == nil {
		return nil
	}
	return awaitReachable(ctx, a.nc, a.cfg.Redacted().NatsURL)
}

// awaitReachable waits, at most watchConnectTimeout, until nc is
// connected; shown is the (redacted) URL the error names.
func awaitReachable(ctx context.Context, nc *nats.Conn, shown string) error {
	cctx, cancel := context.WithTimeout(ctx, watchConnectTimeout)
	defer cancel()
	if err := publish.AwaitConnected(cctx, nc); err != nil {
		return fmt.Errorf("NATS at %s is not reachable: %w", shown, err)
	}
	return nil
}

func awaitWatch(ctx context.Context, m *bridge.Manager, req bridge.WatchRequest, stderr io.Writer) int {
	if _, err := m.Watch(ctx, req); err != nil {
		fmt.Fprintf(stderr, "tlbridge watch: %v\n", err)
		var we *bridge.WatchError
		if errors.As(err, &we) && isRequestError(we.Code) {
			if we.Code == bridge.CodeURLNotAllowed {
				fmt.Fprintf(stderr, "(the host must match %s_ALLOWED_HOSTS; plain http needs %s_ALLOW_HTTP=true)\n", envPrefix, envPrefix)
			}
			return exitUsage
		}
		return exitFailure
	}
	outcome, err := m.Wait(ctx, req.AssemblyID)
	if err != nil {
		fmt.Fprintf(stderr, "tlbridge watch: interrupted before the Assembly finished: %v\n", err)
		return exitFailure
	}
	// The Manager logs "watch ended" with the outcome; saying it here
	// too printed the line twice.
	switch outcome {
	case bridge.OutcomeCompleted, bridge.OutcomeFailed, bridge.OutcomeCanceled, bridge.OutcomeAborted:
		return exitOK
	}
	fmt.Fprintf(stderr, "tlbridge watch: the watch ended without a terminal Assembly event: %s\n", outcome)
	return exitFailure
}

// isRequestError reports whether a refusal is the caller's doing.
func isRequestError(code string) bool {
	switch code {
	case bridge.CodeInvalidRequest, bridge.CodeInvalidAssemblyID, bridge.CodeURLNotAllowed:
		return true
	}
	return false
}

// watchRequestFor turns the command-line argument into a watch request: an
// Assembly ID, a status URL (…/assemblies/<id>) or an update stream URL
// (…?assembly=<id>).
func watchRequestFor(arg string) (bridge.WatchRequest, error) {
	if transloadit.ValidAssemblyID(arg) {
		return bridge.WatchRequest{AssemblyID: arg}, nil
	}
	if !strings.Contains(arg, "://") {
		return bridge.WatchRequest{}, fmt.Errorf("%q is neither an Assembly ID (32 lower-case hex characters) nor an Assembly URL", arg)
	}
	u, err := url.Parse(arg)
	if err != nil {
		return bridge.WatchRequest{}, fmt.Errorf("invalid URL: %w", err)
	}
	id, err := transloadit.AssemblyIDFromURL(arg)
	if err != nil {
		return bridge.WatchRequest{}, fmt.Errorf("%q names no Assembly: %w", arg, err)
	}
	if u.Query().Has("assembly") {
		return bridge.WatchRequest{AssemblyID: id, UpdateStreamURL: arg}, nil
	}
	return bridge.WatchRequest{AssemblyID: id, AssemblySSLURL: arg}, nil
}

// lineWriter writes each event as one JSON line. Workers call it
// concurrently; the first write error is kept and later events dropped.
type lineWriter struct {
	w   io.Writer
	mu  sync.Mutex // guards w and err
	err error
}

func (l *lineWriter) event(_ schemas.Event, data []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return
	}
	line := make([]byte, 0, len(data)+1)
	line = append(append(line, data...), '\n')
	_, l.err = l.w.Write(line)
}

// Err returns the first write error.
func (l *lineWriter) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}
