// Command tlbridge bridges Transloadit Assembly updates into NATS as
// CloudEvents.
//
//	tlbridge serve     run the bridge service (configured by TLBRIDGE_* variables)
//	tlbridge demo      embedded NATS + simulator + bridge, printing every event
//	tlbridge watch ID  watch one Assembly and print its events as JSON lines
//	tlbridge tail      print the events of the stream as they arrive
//	tlbridge sim       run the Transloadit API simulator on its own
//	tlbridge version   print the version, commit, date and Go version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tlbridge/tlbridge/internal/buildinfo"
	"github.com/tlbridge/tlbridge/internal/redact"
)

// Exit codes of run.
const (
	exitOK      = 0 // success; for watch: the Assembly reached a terminal event
	exitFailure = 1 // a runtime failure; for watch: the watch itself failed
	exitUsage   = 2 // bad arguments or configuration
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand: its one-line summary and its entry point.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"serve":   {"run the bridge service", runServe},
		"demo":    {"embedded NATS + simulator + bridge, printing every event", runDemo},
		"watch":   {"watch one Assembly and print its events as JSON lines", runWatch},
		"tail":    {"print the events of the stream as they arrive", runTail},
		"sim":     {"run the Transloadit API simulator on its own", runSim},
		"version": {"print the version, commit, date and Go version (also --version)", runVersion},
	}
}

// commandOrder fixes the order commands are listed in.
var commandOrder = []string{"serve", "demo", "watch", "tail", "sim", "version"}

// run executes the command line args (without the program name) and
// returns the process exit code. Cancelling ctx starts a graceful
// shutdown.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		writeUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		writeUsage(stdout)
		return exitOK
	case "-v", "-version", "--version":
		return runVersion(ctx, args[1:], stdout, stderr)
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "tlbridge: unknown command %q\n\n", args[0])
		writeUsage(stderr)
		return exitUsage
	}
	return cmd.run(ctx, args[1:], stdout, stderr)
}

func writeUsage(w io.Writer) {
	fmt.Fprintf(w, "tlbridge %s bridges Transloadit Assembly updates into NATS.\n\nUsage:\n\n", buildinfo.Version)
	fmt.Fprintf(w, "  tlbridge <command> [arguments]\n\nCommands:\n\n")
	cmds := commands()
	for _, name := range commandOrder {
		fmt.Fprintf(w, "  %-8s %s\n", name, cmds[name].summary)
	}
	fmt.Fprintf(w, "\nRun 'tlbridge <command> --help' for a command's details.\n")
}

// parseFlags parses args with fs. It returns ok=false with the exit code
// when the command must stop: 0 after --help (usage on stdout), 2 after a
// bad flag (message and usage on stderr).
func parseFlags(fs *flag.FlagSet, args []string, usage func(io.Writer), stdout, stderr io.Writer) (ok bool, code int) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return false, exitOK
	case err != nil:
		fmt.Fprintf(stderr, "tlbridge %s: %v\n\n", fs.Name(), err)
		usage(stderr)
		return false, exitUsage
	}
	return true, exitOK
}

// writeFlagDefaults lists fs's flags under a heading, if it has any.
func writeFlagDefaults(w io.Writer, fs *flag.FlagSet) {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "\nFlags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: tlbridge version (or --version, -v)\n\nPrints the version of this build, its commit, date and Go version.\n")
	}
	if ok, code := parseFlags(fs, args, usage, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "tlbridge version: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	fmt.Fprint(stdout, buildinfo.Read())
	return exitOK
}

// configFailure reports a configuration error as one line and returns the
// exit code for it.
func configFailure(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, redact.Text(err.Error()))
	if errors.Is(err, errConfig) {
		return exitUsage
	}
	return exitFailure
}
