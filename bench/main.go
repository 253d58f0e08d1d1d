package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "baseline" {
		os.Exit(runBaseline(os.Args[2:]))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the bench command: exit 0 when every target delivered every
// event, 1 when one did not or a phase failed, 2 on usage errors.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "help requested") {
			fmt.Fprintln(stderr, "bench:", err)
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	rs, err := runAll(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	if err := writeOutputs(o, rs, stdout); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	for _, r := range rs {
		if r.Missing > 0 || r.Refused > 0 || r.Error != "" {
			fmt.Fprintf(stderr, "bench: %s: %d events missing, %d watches refused %s\n", r.Target, r.Missing, r.Refused, r.Error)
			return 1
		}
	}
	return 0
}

func writeOutputs(o options, rs []result, stdout io.Writer) error {
	if o.Plot != "" {
		title := fmt.Sprintf("%d watches × %d results, %s, %s, %s\nbox p25–p75, line p50, whiskers p1–p99, dot max", o.Watches, o.Results, rateTitle(o.Rate), o.Mode, o.scheme())
		if err := writePlot(o.Plot, title, rs); err != nil {
			return err
		}
	}
	if o.JSON {
		return writeJSON(stdout, rs)
	}
	fmt.Fprintf(stdout, "%d watches × %d results, rate %s per Assembly, mode %s, upstream %s\n\n", o.Watches, o.Results, rateText(o.Rate), o.Mode, o.scheme())
	writeTable(stdout, rs)
	return nil
}

func rateTitle(r float64) string {
	if r == 0 {
		return "as fast as possible"
	}
	return fmt.Sprintf("%g results/s each", r)
}

func rateText(r float64) string {
	if r == 0 {
		return "max"
	}
	return fmt.Sprint(r)
}

// runAll starts NATS, builds the bridge if needed, and measures every
// target in turn, each alone on the machine.
func runAll(ctx context.Context, o options, stderr io.Writer) ([]result, error) {
	dir, err := os.MkdirTemp("", "tlbridge-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if o.Bin == "" {
		if o.Bin, err = buildBridge(ctx, dir, stderr); err != nil {
			return nil, err
		}
	}
	ns, err := startNATS(filepath.Join(dir, "nats"))
	if err != nil {
		return nil, err
	}
	defer stopNATS(ns)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	e := &env{opts: o, nc: nc, js: js, natsURL: ns.ClientURL(), dataDir: dir, client: &http.Client{Transport: loopbackTransport()}}
	if o.TLS {
		// One certificate for the run; its PEM goes with dir.
		if e.cert, err = newUpstreamCert(); err != nil {
			return nil, err
		}
		e.certFile = filepath.Join(dir, "upstream-cert.pem")
		if err := e.cert.writePEM(e.certFile); err != nil {
			return nil, err
		}
	}
	ts := o.targets()
	if err := e.warmUp(ctx, ts, stderr); err != nil {
		return nil, err
	}
	rs := make([]result, len(ts))
	for _, i := range o.measured(ts) {
		fmt.Fprintf(stderr, "bench: measuring %s\n", ts[i])
		r, err := e.runPhase(ctx, ts[i])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ts[i].Name, err)
		}
		rs[i] = r
	}
	return rs, nil
}

// warmUp runs the warm-up phase, if any, and discards its figures. At
// 10,000 watches, without it, the column measured first was the slower in
// every run, by up to ten times in latency with the same binary in both
// columns; a warm-up of 5 results per Assembly did not change that, one
// as long as the measured phases did. What in the bench, its NATS server
// or the machine needs a whole phase to settle is not known.
func (e *env) warmUp(ctx context.Context, ts []target, stderr io.Writer) error {
	t, ok := e.opts.warmup(ts)
	if !ok {
		return nil
	}
	fmt.Fprintf(stderr, "bench: warming up with %s (not measured)\n", t)
	if _, err := e.runPhase(ctx, t); err != nil {
		return fmt.Errorf("warm-up with %s: %w", t.Name, err)
	}
	return nil
}

// buildBridge builds ./cmd/tlbridge of the module this command runs in.
func buildBridge(ctx context.Context, dir string, stderr io.Writer) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	out := filepath.Join(dir, "tlbridge")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/tlbridge")
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build ./cmd/tlbridge (run from the repository root): %w", err)
	}
	return out, nil
}
