package stream

import (
	"errors"
	"fmt"
	"net/http"
	"time"
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
	// error Run returns is an [*HTTPError] that matches it.
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

// HTTPError is a connect answered with a status other than 200.
//
// It matches [ErrStreamRefused] (errors.Is) when [HTTPError.Permanent]
// reports true; Run returns such an error at once. Other statuses are
// retried, and only surface from Run wrapped in [ErrGaveUp].
type HTTPError struct {
	StatusCode int
	// Code and Message come from a Transloadit error body
	// ({"error": ..., "message": ...}), when the body was one.
	Code    string
	Message string
	// RetryAfter is the server's Retry-After hint, zero when absent.
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("stream: HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Permanent reports whether retrying cannot help: 204 (the SSE way to say
// "stop reconnecting") and every 4xx except 408 Request Timeout and 429
// Too Many Requests.
func (e *HTTPError) Permanent() bool {
	c := e.StatusCode
	if c == http.StatusNoContent {
		return true
	}
	return c >= 400 && c < 500 && c != http.StatusRequestTimeout && c != http.StatusTooManyRequests
}

// Is makes a permanent HTTPError match ErrStreamRefused.
func (e *HTTPError) Is(target error) bool {
	return target == ErrStreamRefused && e.Permanent()
}
