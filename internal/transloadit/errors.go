package transloadit

import (
	"errors"
	"fmt"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
)

// Error codes a watcher meets on the status endpoint. The list upstream is
// open-ended: never treat a code outside it as anything but a failure.
const (
	CodeStatusRateLimit     = "ASSEMBLY_STATUS_FETCHING_RATE_LIMIT_REACHED"
	CodeRateLimit           = "RATE_LIMIT_REACHED"
	CodeNotFound            = "ASSEMBLY_NOT_FOUND"
	CodeStatusNotFound      = "ASSEMBLY_STATUS_NOT_FOUND"
	CodeStatusParseError    = "ASSEMBLY_STATUS_PARSE_ERROR"
	CodeInstanceNotFound    = "ASSEMBLY_INSTANCE_NOT_FOUND"
	CodeCrashed             = "ASSEMBLY_CRASHED"
	CodeExpired             = "ASSEMBLY_EXPIRED"
	CodeCancelUnavailable   = "ASSEMBLY_CANCEL_UNAVAILABLE"
	CodeInvalidSignature    = "INVALID_SIGNATURE"
	CodeNoSignatureField    = "NO_SIGNATURE_FIELD"
	CodeAuthExpired         = "AUTH_EXPIRED"
	CodeInvalidFormData     = "INVALID_FORM_DATA"
	CodeInternalCommandErr  = "INTERNAL_COMMAND_ERROR"
	CodeWorkerJobError      = "WORKER_JOB_ERROR"
	CodeImportFileError     = "IMPORT_FILE_ERROR"
	CodeServer404           = "SERVER_404"
	CodeServer500           = "SERVER_500"
	CodeProxyTooManyRequest = "429 Too Many Requests"
)

// IsRateLimitCode reports whether code is about the request rather than
// the Assembly: the status-fetching limit, the general limit, or the
// front proxy's "429 Too Many Requests".
func IsRateLimitCode(code string) bool {
	return code == CodeStatusRateLimit || code == CodeRateLimit || code == CodeProxyTooManyRequest
}

// IsNotFoundCode reports the codes that say the Assembly is unknown.
func IsNotFoundCode(code string) bool {
	return code == CodeNotFound || code == CodeStatusNotFound
}

// Sentinel errors of this package.
var (
	// ErrMalformedStatus: a status body that is not a JSON object.
	ErrMalformedStatus = errors.New("transloadit: malformed status")
	// ErrMalformedFile: a file payload that is not a JSON object.
	ErrMalformedFile = errors.New("transloadit: malformed file")
	// ErrMalformedResult: a result payload that is not a [step, file] pair.
	ErrMalformedResult = errors.New("transloadit: malformed result")
	// ErrInvalidAssemblyID: not 32 lower-case hex characters.
	ErrInvalidAssemblyID = errors.New("transloadit: invalid assembly id")
	// ErrURLNotAllowed: a URL outside the allow list, or of a refused scheme.
	ErrURLNotAllowed = errors.New("transloadit: url not allowed")
	// ErrURLShape: a URL on an allowed host that is not of a shape
	// Transloadit issues (another path, port, query or fragment). It
	// wraps ErrURLNotAllowed.
	ErrURLShape = fmt.Errorf("%w: not an assembly url", ErrURLNotAllowed)
	// ErrURLWrongAssembly: an Assembly URL that names another Assembly. It
	// wraps ErrURLNotAllowed.
	ErrURLWrongAssembly = fmt.Errorf("%w: another assembly's url", ErrURLNotAllowed)
)

// APIError is an error body of the API: {"error": code, "message": ...,
// "reason": ..., "http_code": ..., "info": {"retryIn": s}}.
type APIError struct {
	Code     string `json:"error"`
	Message  string `json:"message,omitempty"`
	Reason   string `json:"reason,omitempty"`
	HTTPCode int    `json:"http_code,omitempty"`
	Info     *Info  `json:"info,omitempty"`
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("transloadit: %s", e.Code)
	}
	return fmt.Sprintf("transloadit: %s: %s", e.Code, e.Message)
}

// RetryAfter returns info.retryIn as a duration, zero when absent;
// nonsense (negative, NaN, beyond a day) is clamped as [retry.Seconds]
// does.
func (e *APIError) RetryAfter() time.Duration {
	if e.Info == nil {
		return 0
	}
	return retry.Seconds(e.Info.RetryIn)
}

// APIError returns the status's error as an *APIError, or nil when the
// status carries no error code.
func (s *Status) APIError() *APIError {
	if s.Error == "" {
		return nil
	}
	return &APIError{Code: s.Error, Message: s.Message, Reason: s.Reason, HTTPCode: s.HTTPCode, Info: s.Info}
}
