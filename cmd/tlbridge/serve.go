package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/buildinfo"
)

func writeServeUsage(w io.Writer) {
	fmt.Fprintf(w, `Usage: tlbridge serve

Runs the bridge: watch requests arrive on NATS (<prefix>.v1.watch) or over
HTTP (POST /v1/watches); each watched Assembly's updates are published as
CloudEvents on <prefix>.v1.assemblies.<id>.<event>. SIGTERM or SIGINT shuts
down gracefully: intake stops, in-flight publishes finish, NATS is drained.

HTTP endpoints on TLBRIDGE_HTTP_ADDR: /healthz, /readyz, /metrics,
/v1/watches[/<id>].

Configuration is read from the environment; a bad value stops start-up
with exit code 2.

`)
	writeEnvUsage(w)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	if ok, code := parseFlags(fs, args, writeServeUsage, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "tlbridge serve: unexpected argument %q (configuration comes from TLBRIDGE_* variables)\n", fs.Arg(0))
		return exitUsage
	}
	cfg, err := loadCheckedConfig()
	if err != nil {
		return configFailure(stderr, err)
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	for _, k := range unknownVars() {
		log.Warn("unknown configuration variable ignored", zap.String("variable", k))
	}
	log.Info("tlbridge starting", zap.String("version", buildinfo.Version), zap.Object("config", cfg))
	if err := newApp(cfg, log, appOptions{}).Run(ctx); err != nil {
		if errors.Is(err, errConfig) {
			// Configuration errors found while starting (e.g. the
			// embedded server's DATA_DIR) get the same one plain line as
			// those found while loading.
			return configFailure(stderr, err)
		}
		log.Error("tlbridge stopped with an error", zap.Error(err))
		_ = log.Sync()
		return exitFailure
	}
	return exitOK
}
