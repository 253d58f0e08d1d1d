package bridge

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
)

// WatchRequest asks the bridge to watch one Assembly; the public contract
// owns its shape.
type WatchRequest = schemas.WatchRequest

// WatchReply answers a WatchRequest, over NATS and HTTP alike.
type WatchReply = schemas.WatchReply

// WatchInfo describes a running watch.
type WatchInfo struct {
	AssemblyID string    `json:"assembly_id"`
	Subject    string    `json:"subject"`
	State      string    `json:"state"`
	Streaming  bool      `json:"streaming"`
	Events     int       `json:"events"`
	StartedAt  time.Time `json:"started_at"`
	// Owner is the instance running the watch; empty while it is pending.
	Owner string `json:"owner,omitempty"`
}

// Codes of WatchError, as they appear in WatchReply.Error.
const (
	CodeInvalidRequest    = schemas.WatchInvalidRequest
	CodeInvalidAssemblyID = schemas.WatchInvalidAssemblyID
	CodeURLNotAllowed     = schemas.WatchURLNotAllowed
	CodeTooManyWatches    = schemas.WatchTooManyWatches
	CodeShuttingDown      = schemas.WatchShuttingDown
	CodeNotFound          = "NOT_FOUND"
	CodeUnauthorized      = "UNAUTHORIZED"
	CodeAPIDisabled       = "API_DISABLED"
	// CodeNotReady refuses a request while the durable watch queue is
	// not set up yet (NATS not reachable since start).
	CodeNotReady = "NOT_READY"
	// CodeUnavailable refuses a request JetStream could not serve (e.g.
	// NATS is unreachable); retry later.
	CodeUnavailable = "UNAVAILABLE"
)

// WatchError is a refused watch request.
type WatchError struct {
	Code    string
	Message string
}

func (e *WatchError) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus maps the error code to the HTTP status the API answers with.
func (e *WatchError) HTTPStatus() int {
	switch e.Code {
	case CodeTooManyWatches:
		return http.StatusTooManyRequests
	case CodeShuttingDown, CodeBusy, CodeNotReady, CodeUnavailable:
		return http.StatusServiceUnavailable
	case CodeNotFound, CodeAPIDisabled, CodeNotifyDisabled:
		return http.StatusNotFound
	case CodeNotificationTooOld:
		return http.StatusConflict
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeURLNotAllowed, CodeInvalidSignature:
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

// ErrorReply turns any error into a WatchReply; errors that are not a
// *WatchError become INVALID_REQUEST.
func ErrorReply(err error) WatchReply {
	var we *WatchError
	if !errors.As(err, &we) {
		we = &WatchError{Code: CodeInvalidRequest, Message: err.Error()}
	}
	return WatchReply{Error: we.Code, Message: we.Message}
}

// unavailable wraps a failure of JetStream as the refusal it causes.
func unavailable(err error) error {
	var we *WatchError
	if err == nil || errors.As(err, &we) {
		return err
	}
	return &WatchError{CodeUnavailable, err.Error()}
}

// validate checks a request before any worker or connection exists, so a
// URL outside the allow list is never fetched.
func validateRequest(r WatchRequest, allow transloadit.AllowList) error {
	if !transloadit.ValidAssemblyID(r.AssemblyID) {
		return &WatchError{CodeInvalidAssemblyID, "assembly_id must be 32 lower-case hex characters"}
	}
	// The same checks the poller and the stream client make before they
	// connect: a URL accepted here is one they fetch.
	for _, u := range []struct {
		name, val string
		check     func(raw, id string) (*url.URL, string, error)
	}{
		{"assembly_ssl_url", r.AssemblySSLURL, allow.CheckStatusURL},
		{"update_stream_url", r.UpdateStreamURL, allow.CheckStreamURL},
	} {
		if u.val == "" {
			continue
		}
		if _, _, err := u.check(u.val, r.AssemblyID); err != nil {
			if errors.Is(err, transloadit.ErrURLWrongAssembly) {
				return &WatchError{CodeInvalidRequest, u.name + " does not name assembly " + r.AssemblyID}
			}
			return &WatchError{CodeURLNotAllowed, fmt.Sprintf("%s: %v", u.name, err)}
		}
	}
	return nil
}
