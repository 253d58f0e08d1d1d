package retry

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// StatusError is an HTTP answer that is not the one asked for: a rate
// limit, a not-found, a 5xx, a refusal. The package that received it says
// which of its sentinel errors the answer means by listing them in
// Sentinels; errors.Is matches those.
type StatusError struct {
	// Op names the asker and prefixes the message ("poll", "stream").
	Op string
	// Code is the HTTP status code.
	Code int
	// TransloaditCode is the body's "error" member, "" when the body had
	// none or was not JSON.
	TransloaditCode string
	// Message is the body's "message", or the start of a body that was not
	// JSON, shortened.
	Message string
	// RetryAfter is the server's hint for the next attempt (info.retryIn,
	// else Retry-After); zero when it gave none.
	RetryAfter time.Duration
	// Sentinels are the errors errors.Is matches this answer against.
	Sentinels []error
}

var _ error = (*StatusError)(nil)

func (e *StatusError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.Code)
	if t := http.StatusText(e.Code); t != "" {
		s += " " + t
	}
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.TransloaditCode != "" {
		s += ": " + e.TransloaditCode
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is reports whether target is one of e.Sentinels.
func (e *StatusError) Is(target error) bool {
	return slices.Contains(e.Sentinels, target)
}
