package poller

import (
	"errors"
	"fmt"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// Sentinel errors of this package. Fetch also returns errors wrapping
// [transloadit.ErrURLNotAllowed] (a refused status URL; no request was made)
// and [transloadit.ErrInvalidAssemblyID].
var (
	// ErrInvalidConfig is wrapped by the error New returns for a Config it
	// cannot use.
	ErrInvalidConfig = errors.New("poll: invalid config")

	// ErrAssemblyNotFound matches an answer saying the Assembly is unknown
	// (ASSEMBLY_NOT_FOUND or ASSEMBLY_STATUS_NOT_FOUND) from every host
	// tried. The error is a *retry.StatusError carrying the answer.
	ErrAssemblyNotFound = errors.New("poll: assembly not found")

	// ErrRateLimited matches a *retry.StatusError for a rate-limit answer: a 429,
	// or a body whose error is a rate-limit code. Fetch waits these out; it
	// returns one only inside ErrRetriesExhausted.
	ErrRateLimited = errors.New("poll: rate limited")

	// ErrBodyTooLarge is returned when an answer's body exceeds
	// Config.MaxBodyBytes.
	ErrBodyTooLarge = errors.New("poll: response body too large")

	// ErrMalformed is wrapped by the error for a body that is not a status:
	// not a JSON object, or an object with none of ok, error and the
	// system-error members, or one naming another Assembly. It wraps
	// transloadit.ErrMalformedStatus.
	ErrMalformed = fmt.Errorf("poll: %w", transloadit.ErrMalformedStatus)

	// ErrRetriesExhausted is wrapped, together with the last failure, by the
	// error Fetch returns after Config.MaxRetries retries of transient
	// failures and rate-limit answers.
	ErrRetriesExhausted = errors.New("poll: retries exhausted")

	// ErrTooManyAssemblies is returned when Config.MaxTracked Assemblies
	// are being tracked and none can be released yet. Forget releases them.
	ErrTooManyAssemblies = errors.New("poll: too many assemblies tracked")

	// ErrPermanent matches every Fetch error that asking again at once
	// will not fix: a refused Target (ErrURLNotAllowed, ErrInvalidAssemblyID; no
	// request made), a refusal (a 4xx other than 404 and 429, a redirect
	// or bare 404 from the origin, as a *StatusError), a body that is not
	// a status (ErrMalformed), one over Config.MaxBodyBytes
	// (ErrBodyTooLarge), and an address refused at dial time
	// (dialguard.ErrRefused). Fetch gives these up after one request. A
	// caller that keeps watching should back off exponentially and give
	// up after a bounded time of nothing but failures, rather than ask
	// again at its usual interval.
	ErrPermanent = errors.New("poll: permanent failure")
)

// permanentError marks err as matching ErrPermanent, keeping every other
// match (errors.Is, errors.As) of err.
type permanentError struct{ err error }

func (e *permanentError) Error() string        { return e.err.Error() }
func (e *permanentError) Unwrap() error        { return e.err }
func (e *permanentError) Is(target error) bool { return target == ErrPermanent }

// permanent wraps err so that it matches ErrPermanent.
func permanent(err error) error { return &permanentError{err: err} }

// newStatusError describes an answer of the status endpoint that is not a
// status: a rate limit, a not-found, a 5xx, or another refusal. errors.Is
// matches it against ErrAssemblyNotFound and ErrRateLimited by its content.
func newStatusError(httpCode int, code, message string) *retry.StatusError {
	se := &retry.StatusError{Op: "poll", Code: httpCode, TransloaditCode: code, Message: message}
	if transloadit.IsNotFoundCode(code) {
		se.Sentinels = append(se.Sentinels, ErrAssemblyNotFound)
	}
	if httpCode == 429 || transloadit.IsRateLimitCode(code) {
		se.Sentinels = append(se.Sentinels, ErrRateLimited)
	}
	return se
}

// IsTransient reports whether a Fetch error may go away by itself, so that
// polling again later is worthwhile: exhausted retries, a malformed body
// (which also matches ErrPermanent: no retry within one Fetch fixes it,
// but a proxy's page may be gone later), or the tracking bound.
// Not-found, refused URLs and addresses, oversized bodies and other
// refusals are not transient.
func IsTransient(err error) bool {
	return errors.Is(err, ErrRetriesExhausted) || errors.Is(err, ErrMalformed) ||
		errors.Is(err, ErrTooManyAssemblies)
}
