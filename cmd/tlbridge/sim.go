package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"

	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

// runSim runs the Transloadit API simulator on its own until ctx ends; the
// simulator parses its own flags (tlbridge sim --help lists them).
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := transloadittest.RunSim(ctx, args, stdout, stderr)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "tlbridge %v\n", err)
	// RunSim fails either on its arguments or on I/O (listening, writing
	// the URL); only the latter is a runtime failure.
	var opErr *net.OpError
	var pathErr *fs.PathError
	if errors.As(err, &opErr) || errors.As(err, &pathErr) {
		return exitFailure
	}
	return exitUsage
}
