package poller

import (
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/buildinfo"
	"github.com/tlbridge/tlbridge/internal/dialguard"
	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Defaults of Config.
const (
	DefaultMaxRPS         = 2.0
	DefaultMaxBodyBytes   = 32 << 20
	DefaultRequestTimeout = 15 * time.Second
	DefaultMaxRetries     = 8
	DefaultMinBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff     = 10 * time.Second
	DefaultMaxRetryWait   = time.Minute
	DefaultMaxTracked     = 10000
	DefaultMaxInFlight    = 64
)

// MaxMaxRPS is the highest Config.MaxRPS accepted. Transloadit refuses the
// fourth status request inside any one-second window; evenly spaced
// requests at exactly 3/s can still put four into one window, so the
// ceiling keeps a margin below 3.
const MaxMaxRPS = 2.5

// ValidMaxRPS reports whether rps is an acceptable Config.MaxRPS: in
// (0, MaxMaxRPS].
func ValidMaxRPS(rps float64) bool { return rps > 0 && rps <= MaxMaxRPS }

// DefaultHostSuffix is the host the allow list admits when
// Config.AllowList names none: transloadit.com and its subdomains.
const DefaultHostSuffix = "transloadit.com"

// Outcomes passed to Config.OnRequest, one per HTTP request made.
const (
	OutcomeOK          = "ok"
	OutcomeError       = "error"
	OutcomeRateLimited = "rate_limited"
	OutcomeNotFound    = "not_found"
)

// DefaultUserAgent returns the User-Agent used when Config.UserAgent is
// empty: tlbridge and its build version.
func DefaultUserAgent() string { return buildinfo.UserAgent() }

// Config configures a Poller. Zero values mean the documented defaults.
type Config struct {
	// APIBase is the origin serving every Assembly's status; it is used when
	// a Target has no StatusURL, and as the fallback when the machine host
	// fails. If empty, transloadit.DefaultAPIBase. It must pass AllowList.
	APIBase string
	// AllowList decides which URLs may be requested; nothing else is ever
	// dialled. If it names no host, DefaultHostSuffix over https only.
	AllowList transloadit.AllowList
	// HTTPClient sends the requests. If nil, a client with RequestTimeout
	// on the dialguard transport for AllowList, which refuses loopback,
	// private and other special addresses at dial time unless the allow
	// list names them. A caller's client is used as it is. The Poller uses
	// a copy that never follows redirects (a redirect could leave the
	// allow list).
	HTTPClient *http.Client
	// Clock is the time source for waits. If nil, real time.
	Clock retry.Clock
	// MaxRPS is the highest request rate per Assembly, in (0, MaxMaxRPS].
	// If zero, DefaultMaxRPS.
	MaxRPS float64
	// MaxBodyBytes bounds a response body; a larger one gives
	// ErrBodyTooLarge. If zero, DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RequestTimeout bounds one request, body included. If zero,
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// MaxRetries bounds the retries of one Fetch after transient failures
	// and rate-limit answers. If zero, DefaultMaxRetries; negative means
	// no retries.
	MaxRetries int
	// MinBackoff and MaxBackoff bound the jittered exponential backoff after
	// transient failures. If zero, DefaultMinBackoff and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// MaxRetryWait caps how long one rate-limit answer is waited out,
	// whatever it asks for. If zero, DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// MaxTracked bounds the Assemblies whose limiter and host state is kept.
	// If zero, DefaultMaxTracked.
	MaxTracked int
	// MaxInFlight bounds the requests in flight across all Assemblies. A
	// request holds its place from just before it is sent until its body
	// is read and decoded, so that when thousands of Assemblies are asked
	// for at once (they finish together, or their watches resume after a
	// restart) at most this many bodies and decodings are in memory, and
	// the rest wait their turn instead. If zero, DefaultMaxInFlight.
	//
	// The default, 64, sustains some 300 to 600 requests a second at a
	// round trip of 100 to 200 ms, which hides the API's latency for
	// thousands of Assemblies; 64 statuses of a large Assembly (about
	// 100 KB) and their decoding take a few MiB, and even 64 of a MiB are
	// tens of MiB; and 64 requests fit within the 100 or more concurrent
	// streams an HTTP/2 server usually allows on one connection.
	MaxInFlight int
	// UserAgent is sent with every request. If empty, DefaultUserAgent().
	UserAgent string
	// Logger receives failures (once per run of failures) and recoveries.
	// If nil, nothing is logged.
	Logger *zap.Logger
	// OnRequest, if set, is called after every HTTP request with one of
	// OutcomeOK, OutcomeError, OutcomeRateLimited and OutcomeNotFound. It
	// must not block.
	OnRequest func(outcome string)
	// OnRateLimitWait, if set, is called with each wait imposed by a
	// rate-limit answer before it starts. It must not block.
	OnRateLimitWait func(d time.Duration)
	// OnInFlightWait, if set, is called with +1 when a request starts
	// waiting because MaxInFlight requests are in flight, and with -1 when
	// it stops waiting (it may go, or its context ended). The sum of the
	// deltas is the number waiting: a gauge fed with them stays exact in
	// whatever order calls from different goroutines arrive. It must not
	// block.
	OnInFlightWait func(delta int)
}

// withDefaults returns cfg with zero values replaced and checks the rest.
func withDefaults(cfg Config) (Config, error) {
	if cfg.APIBase == "" {
		cfg.APIBase = transloadit.DefaultAPIBase
	}
	if len(cfg.AllowList.HostSuffixes) == 0 {
		cfg.AllowList = transloadit.AllowList{HostSuffixes: []string{DefaultHostSuffix}}
	}
	if cfg.Clock == nil {
		cfg.Clock = retry.SystemClock()
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent()
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	setDuration(&cfg.RequestTimeout, DefaultRequestTimeout)
	setDuration(&cfg.MinBackoff, DefaultMinBackoff)
	setDuration(&cfg.MaxBackoff, max(DefaultMaxBackoff, cfg.MinBackoff))
	setDuration(&cfg.MaxRetryWait, DefaultMaxRetryWait)
	if cfg.MaxRPS == 0 {
		cfg.MaxRPS = DefaultMaxRPS
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxTracked == 0 {
		cfg.MaxTracked = DefaultMaxTracked
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	return cfg, validate(cfg)
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

func validate(cfg Config) error {
	switch {
	case !ValidMaxRPS(cfg.MaxRPS):
		return fmt.Errorf("%w: MaxRPS %v not in (0, %v]", ErrInvalidConfig, cfg.MaxRPS, MaxMaxRPS)
	case cfg.RequestTimeout < 0, cfg.MinBackoff < 0, cfg.MaxRetryWait < 0:
		return fmt.Errorf("%w: negative duration", ErrInvalidConfig)
	case cfg.MaxBackoff < cfg.MinBackoff:
		return fmt.Errorf("%w: MaxBackoff %v below MinBackoff %v", ErrInvalidConfig, cfg.MaxBackoff, cfg.MinBackoff)
	case cfg.MaxBodyBytes < 0:
		return fmt.Errorf("%w: negative MaxBodyBytes", ErrInvalidConfig)
	case cfg.MaxTracked < 0:
		return fmt.Errorf("%w: negative MaxTracked", ErrInvalidConfig)
	case cfg.MaxInFlight < 0:
		return fmt.Errorf("%w: negative MaxInFlight", ErrInvalidConfig)
	}
	if _, err := cfg.AllowList.Check(cfg.APIBase); err != nil {
		return fmt.Errorf("%w: APIBase: %w", ErrInvalidConfig, err)
	}
	return nil
}

// httpClient returns the client requests go through: a copy of c (or a
// default one) that hands back redirects instead of following them.
func httpClient(c *http.Client, timeout time.Duration, allow transloadit.AllowList) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	} else {
		cp.Timeout = timeout
		cp.Transport = dialguard.New(allow.HostSuffixes).Transport()
	}
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}
