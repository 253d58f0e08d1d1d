package stream

import (
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Defaults of [Config].
const (
	DefaultMaxEventSize = 2 << 20
	DefaultMinBackoff   = 500 * time.Millisecond
	DefaultMaxBackoff   = 30 * time.Second
	DefaultIdleTimeout  = 90 * time.Second
)

// Config configures a [Client]. The zero value of every field but URL
// means its default.
type Config struct {
	// URL is the Assembly's update stream URL (Status.StreamURL). Required;
	// it must be an update stream URL AllowList admits
	// (AllowList.CheckStreamURL).
	URL string
	// AssemblyID, if set, is the Assembly the URL must name. If empty, any.
	AssemblyID string
	// AllowList decides which hosts may be connected to. Redirects are
	// checked against it too, and must lead to the same Assembly's stream.
	AllowList transloadit.AllowList
	// HTTPClient sends the requests. If nil, a client on the dialguard
	// transport for AllowList, which refuses loopback, private and other
	// special addresses at dial time unless the allow list names them.
	// A caller's client is used as it is. Its Timeout is ignored: a stream
	// lives as long as its Assembly, and IdleTimeout bounds silence instead.
	HTTPClient *http.Client
	// MaxEventSize bounds one event, counted from its first byte through
	// the blank line that ends it, and so the memory one stream holds.
	// Default 2 MiB: a status with 1,000 results is about 1 MB, and an
	// update carries one upload or result. A larger event ends Run with
	// ErrEventTooLarge, and the caller polls instead.
	MaxEventSize int
	// MinBackoff and MaxBackoff bound the wait between connection
	// attempts: exponential from MinBackoff, capped at MaxBackoff, with
	// jitter, and no cap on total time. Defaults 500ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	// MaxAttempts is how many consecutive connection attempts may fail
	// (transport error, non-200 answer) before Run returns ErrGaveUp.
	// Default 0: never give up.
	MaxAttempts int
	// IdleTimeout is how long the stream may stay silent (no byte at all,
	// comments included) before the connection is dropped and
	// re-established. Default 90s. Time spent in the handler does not count.
	IdleTimeout time.Duration
	// Clock is the time source of backoff waits, the idle watchdog and
	// timestamps. If nil, real time.
	Clock retry.Clock
	// Logger receives connection events. If nil, nothing is logged.
	Logger *zap.Logger
	// OnConnect is called when a connection is answered with HTTP 200.
	// Both callbacks run on the goroutine that called Run, like the
	// handler, and must not block for long.
	OnConnect func()
	// OnDisconnect is called once for every OnConnect, when that
	// connection ends: err is nil for a clean close by the server, else the
	// reason (ErrIdleTimeout, ErrEventTooLarge, the context's error, a read
	// error).
	OnDisconnect func(err error)
}

// maxRetryAfter caps a server's retry hint, so a bogus value cannot park a
// stream for hours while the caller thinks it is reconnecting.
const maxRetryAfter = 5 * time.Minute

// finishDrain bounds how long the stream is kept open after the Assembly's
// final update when the server does not close it: long enough for a
// trailing result, short enough that the caller is not kept waiting.
const finishDrain = 5 * time.Second

func (c Config) withDefaults() Config {
	if c.MaxEventSize == 0 {
		c.MaxEventSize = DefaultMaxEventSize
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = max(DefaultMaxBackoff, c.MinBackoff)
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Clock == nil {
		c.Clock = retry.SystemClock()
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.URL == "":
		return fmt.Errorf("%w: URL is required", ErrInvalidConfig)
	case c.MaxEventSize < 0:
		return fmt.Errorf("%w: MaxEventSize %d < 0", ErrInvalidConfig, c.MaxEventSize)
	case c.MinBackoff < 0 || c.MaxBackoff < 0:
		return fmt.Errorf("%w: negative backoff", ErrInvalidConfig)
	case c.MaxBackoff != 0 && c.MinBackoff > c.MaxBackoff:
		return fmt.Errorf("%w: MinBackoff %v > MaxBackoff %v", ErrInvalidConfig, c.MinBackoff, c.MaxBackoff)
	case c.MaxAttempts < 0:
		return fmt.Errorf("%w: MaxAttempts %d < 0", ErrInvalidConfig, c.MaxAttempts)
	case c.IdleTimeout < 0:
		return fmt.Errorf("%w: IdleTimeout %v < 0", ErrInvalidConfig, c.IdleTimeout)
	}
	return nil
}
