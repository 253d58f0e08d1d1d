package transloadittest

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"
)

// RunSim runs the simulator standalone, as "tlbridge sim": it parses args
// (flags --addr, --machine-addr, --auth-secret, --tick, --seed,
// --rate-limit), prints the base URL on the first line of stdout, logs to
// stderr, and serves until ctx is done. Each then function, once the
// simulator listens, may print more to stdout after the URL, such as how
// to point a client at it. It returns nil after a clean stop, an error
// wrapping flag.ErrHelp for -h, or the error that kept it from starting.
func RunSim(ctx context.Context, args []string, stdout, stderr io.Writer, then ...func(*Server, io.Writer) error) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address of the base host (plays api2.transloadit.com)")
	machineAddr := fs.String("machine-addr", "127.0.0.1:0", "listen address of the machine host (status URLs and update streams)")
	secret := fs.String("auth-secret", "", "verify signed requests with this Auth Secret (default: accept requests as they are)")
	tick := fs.Duration("tick", 2*time.Second, "base time unit of an Assembly's lifecycle; a default Assembly takes 7 ticks, slow enough to follow with curl")
	seed := fs.Uint64("seed", 1, "seed of the simulator's random choices")
	rate := fs.Int("rate-limit", 3, "status requests per Assembly per second before ASSEMBLY_STATUS_FETCHING_RATE_LIMIT_REACHED (0: no limit)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tlbridge sim [flags]\n\nRuns the Transloadit API simulator. Prints its base URL on the first line of stdout.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("sim: unexpected arguments %q", fs.Args())
	}
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	srv, err := Listen(
		WithAddr(*addr, *machineAddr),
		WithAuthSecret(*secret),
		WithTick(*tick),
		WithSeed(*seed),
		WithRateLimit(*rate, time.Second),
		WithLogf(logf),
	)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	defer srv.Close()
	if _, err := fmt.Fprintln(stdout, srv.URL); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	for _, f := range then {
		if err := f(srv, stdout); err != nil {
			return fmt.Errorf("sim: %w", err)
		}
	}
	logf("transloadittest: base host %s, machine host %s, tick %s", srv.URL, srv.MachineURL, *tick)
	<-ctx.Done()
	logf("transloadittest: stopping")
	return nil
}
