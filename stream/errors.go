package stream

import (
	"errors"
	"net/http"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
)

// Sentinel errors of this package. Match them with errors.Is.
var (
	// ErrInvalidConfig: a Config field is out of range, or Run got a nil
	// handler.
	ErrInvalidConfig = errors.New("stream: invalid config")

	// ErrEventTooLarge: one event (its lines and the blank line that ends
	// it) exceeded Config.MaxEventSize. Run returns it without reconnecting:
	// the server would send the same event again, so a reconnect would only
	// replay what was already delivered and fail at the same place. The
	// caller should poll the status instead.
	ErrEventTooLarge = errors.New("stream: event too large")

	// ErrGaveUp: Config.MaxAttempts consecutive connection attempts failed.
	// The error Run returns wraps the last attempt's error as well.
	ErrGaveUp = errors.New("stream: gave up reconnecting")

	// ErrStreamRefused: the server answered with a status that retrying will
	// not change (a 4xx other than 408 and 429, or 204 No Content). The
	// error Run returns is a *retry.StatusError that matches it.
	ErrStreamRefused = errors.New("stream: refused")

	// ErrIdleTimeout: no byte arrived for Config.IdleTimeout. It is passed
	// to Config.OnDisconnect; Run reconnects.
	ErrIdleTimeout = errors.New("stream: idle timeout")

	// ErrNotEventStream: a 200 answer whose Content-Type is not
	// text/event-stream (a captive portal, a misrouted request). Treated
	// like a failed connect: retried with backoff and counted toward
	// Config.MaxAttempts.
	ErrNotEventStream = errors.New("stream: response is not an event stream")

	// ErrMalformedEvent: a known event whose payload does not decode. It is
	// reported in [Update.Err], never returned by Run.
	ErrMalformedEvent = errors.New("stream: malformed event")
)

// refusal describes a connect answered with a status other than 200. It
// matches [ErrStreamRefused] (errors.Is) when the status is permanent; Run
// returns such an error at once. Other statuses are retried, and only
// surface from Run wrapped in [ErrGaveUp].
func refusal(code int, tlCode, message string, retryAfter time.Duration) *retry.StatusError {
	se := &retry.StatusError{Op: "stream", Code: code, TransloaditCode: tlCode, Message: message, RetryAfter: retryAfter}
	if permanent(code) {
		se.Sentinels = []error{ErrStreamRefused}
	}
	return se
}

// permanent reports whether retrying cannot help: 204 (the SSE way to say
// "stop reconnecting") and every 4xx except 408 Request Timeout and 429
// Too Many Requests.
func permanent(code int) bool {
	if code == http.StatusNoContent {
		return true
	}
	return code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests
}
