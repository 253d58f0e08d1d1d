package transloadittest

import (
	"time"
)

// Option configures a Server at construction.
type Option func(*config)

type config struct {
	addr, machineAddr string
	tick              time.Duration
	authSecret        string
	faults            Faults
	seed              uint64
	rateLimit         int
	rateWindow        time.Duration
	keepAlive         time.Duration
	maxAssemblies     int
	maxUploadBytes    int64
	now               func() time.Time
	logf              func(format string, args ...any)
}

func defaultConfig() config {
	return config{
		addr:           "127.0.0.1:0",
		machineAddr:    "127.0.0.1:0",
		tick:           DefaultTick,
		seed:           1,
		rateLimit:      3,
		rateWindow:     time.Second,
		maxAssemblies:  10000,
		maxUploadBytes: 256 << 20,
		now:            time.Now,
	}
}

// WithAddr sets the listen addresses of the base host and the machine
// host; default "127.0.0.1:0" for both. Empty keeps the default.
func WithAddr(base, machine string) Option {
	return func(c *config) {
		if base != "" {
			c.addr = base
		}
		if machine != "" {
			c.machineAddr = machine
		}
	}
}

// WithTick sets the default Tick of Assemblies whose Script leaves it zero,
// including every Assembly created over HTTP; default 20ms.
func WithTick(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.tick = d
		}
	}
}

// WithAuthSecret makes the Server verify signed requests: creating,
// canceling and listing Assemblies then need params.auth (with expires) and
// a valid signature made with secret. Status GETs and update streams never
// need auth, as upstream.
func WithAuthSecret(secret string) Option {
	return func(c *config) { c.authSecret = secret }
}

// WithFaults sets the faults of every Assembly (overridable per Assembly
// by Script.Faults, changeable later with SetFaults).
func WithFaults(f Faults) Option {
	return func(c *config) { c.faults = f }
}

// WithSeed seeds the random choices (fault ratios, sizes, result IDs), so a
// test sees the same sequence every run for the same request order;
// default 1. Assembly IDs are always random.
func WithSeed(seed uint64) Option {
	return func(c *config) { c.seed = seed }
}

// WithRateLimit sets the status GET limit: more than n requests for one
// Assembly inside any window are refused with
// ASSEMBLY_STATUS_FETCHING_RATE_LIMIT_REACHED. Default 3 per second, as
// upstream; n <= 0 disables the limit.
func WithRateLimit(n int, window time.Duration) Option {
	return func(c *config) {
		c.rateLimit = n
		if window > 0 {
			c.rateWindow = window
		}
	}
}

// WithKeepAlive makes update streams send a comment line every d while
// idle. Default none, as in the recorded upstream stream.
func WithKeepAlive(d time.Duration) Option {
	return func(c *config) { c.keepAlive = d }
}

// WithMaxAssemblies bounds the Assemblies kept; beyond it the oldest
// finished ones are forgotten, and creating fails while all are running.
// Default 10000.
func WithMaxAssemblies(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxAssemblies = n
		}
	}
}

// WithClock sets the clock for timestamps and the rate limit window; nil
// means time.Now. Lifecycle Ticks always use real timers.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithLogf routes one line per notable event (Assembly created, finished,
// faults) to logf, e.g. t.Logf.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(c *config) {
		if logf != nil {
			c.logf = logf
		}
	}
}
