package bridge

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// WatchRequest asks the bridge to watch one Assembly. The ID alone is
// enough: the status is then fetched from the configured API base.
type WatchRequest struct {
	AssemblyID      string `json:"assembly_id"`
	AssemblySSLURL  string `json:"assembly_ssl_url,omitempty"`
	UpdateStreamURL string `json:"update_stream_url,omitempty"`
	// Replay publishes the Assembly's events again, with new event IDs,
	// even when it finished already: for a consumer that lost its data.
	// (Without durable watches finished Assemblies are not remembered, so
	// only the IDs differ.)
	Replay bool `json:"replay,omitempty"`
}

// WatchReply answers a WatchRequest, over NATS and HTTP alike.
type WatchReply struct {
	OK         bool   `json:"ok"`
	AssemblyID string `json:"assembly_id,omitempty"`
	Subject    string `json:"subject,omitempty"`
	// State is set when the Assembly finished before: its outcome, and
	// nothing was published.
	State   string `json:"state,omitempty"`
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
}

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
	CodeInvalidRequest    = "INVALID_REQUEST"
	CodeInvalidAssemblyID = "INVALID_ASSEMBLY_ID"
	CodeURLNotAllowed     = "URL_NOT_ALLOWED"
	CodeTooManyWatches    = "TOO_MANY_WATCHES"
	CodeShuttingDown      = "SHUTTING_DOWN"
	CodeNotFound          = "NOT_FOUND"
	CodeUnauthorized      = "UNAUTHORIZED"
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
	case CodeShuttingDown, CodeNotReady, CodeUnavailable:
		return http.StatusServiceUnavailable
	case CodeNotFound:
		return http.StatusNotFound
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
func (r WatchRequest) validate(allow transloadit.AllowList) error {
	if !transloadit.ValidAssemblyID(r.AssemblyID) {
		return &WatchError{CodeInvalidAssemblyID, "assembly_id must be 32 lower-case hex characters"}
	}
	for _, u := range []struct{ name, val string }{
		{"assembly_ssl_url", r.AssemblySSLURL}, {"update_stream_url", r.UpdateStreamURL},
	} {
		if u.val == "" {
			continue
		}
		if _, err := allow.Check(u.val); err != nil {
			return &WatchError{CodeURLNotAllowed, fmt.Sprintf("%s: %v", u.name, err)}
		}
		id, err := transloadit.AssemblyIDFromURL(u.val)
		if err != nil || id != r.AssemblyID {
			return &WatchError{CodeInvalidRequest, u.name + " does not name assembly " + r.AssemblyID}
		}
	}
	return nil
}
