package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"

	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

// runSim runs the Transloadit API simulator on its own until ctx ends; the
// simulator parses its own flags (tlbridge sim --help lists them). After
// its URL it prints the variables that point a bridge at it.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := transloadittest.RunSim(ctx, args, stdout, stderr, writeSimEnv)
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

// writeSimEnv prints the export lines that point 'tlbridge serve' or
// 'watch' at srv: its URL as the API base, its hosts allowed, over plain
// http. Without them the bridge refuses the simulator's URLs.
func writeSimEnv(srv *transloadittest.Server, w io.Writer) error {
	allow := srv.AllowList()
	_, err := fmt.Fprintf(w, `
# Paste into the shell that runs 'tlbridge serve' or 'tlbridge watch':
export %[1]s_API_BASE=%[2]s
export %[1]s_ALLOWED_HOSTS=%[3]s
export %[1]s_ALLOW_HTTP=true
`, envPrefix, srv.URL, strings.Join(allow.HostSuffixes, ","))
	return err
}
