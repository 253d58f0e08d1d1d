package transloadit

import (
	"encoding/json"
	"fmt"
)

// Status is an Assembly Status as the status endpoint, the create endpoint
// and notifications return it. Every field is optional upstream; fields the
// model does not name are kept in Extra and written back on encode.
type Status struct {
	OK       State  `json:"ok,omitempty"`
	Error    string `json:"error,omitempty"`
	Message  string `json:"message,omitempty"`
	Reason   string `json:"reason,omitempty"`
	HTTPCode int    `json:"http_code,omitempty"`
	Info     *Info  `json:"info,omitempty"`

	// The system-error shape: no ok/error, but errno, code and syscall.
	Errno   *int64 `json:"errno,omitempty"`
	Code    string `json:"code,omitempty"`
	Syscall string `json:"syscall,omitempty"`

	AssemblyID      string `json:"assembly_id,omitempty"`
	ParentID        string `json:"parent_id,omitempty"`
	AccountID       string `json:"account_id,omitempty"`
	AssemblyURL     string `json:"assembly_url,omitempty"`
	AssemblySSLURL  string `json:"assembly_ssl_url,omitempty"`
	UpdateStreamURL string `json:"update_stream_url,omitempty"`
	WebsocketURL    string `json:"websocket_url,omitempty"`
	TusURL          string `json:"tus_url,omitempty"`
	Instance        string `json:"instance,omitempty"`
	Region          string `json:"region,omitempty"`

	BytesReceived           int64    `json:"bytes_received,omitempty"`
	BytesExpected           *int64   `json:"bytes_expected,omitempty"`
	UploadMetaDataExtracted bool     `json:"upload_meta_data_extracted,omitempty"`
	StartDate               string   `json:"start_date,omitempty"`
	ExecutionStart          string   `json:"execution_start,omitempty"`
	LastJobCompleted        string   `json:"last_job_completed,omitempty"`
	UploadDuration          *float64 `json:"upload_duration,omitempty"`
	ExecutionDuration       *float64 `json:"execution_duration,omitempty"`

	Uploads  []File    `json:"uploads,omitzero"`
	Results  Results   `json:"results,omitzero"`
	Warnings []Warning `json:"warnings,omitzero"`

	// Extra holds the members the model does not name, verbatim. On encode
	// a key here wins over the typed field of the same name, which is how an
	// explicit null (e.g. "ok": null) is written.
	Extra map[string]json.RawMessage `json:"-"`

	// zeros are named members that decoded to a zero value (false, null,
	// ""), kept so encoding writes them back as received.
	zeros map[string]json.RawMessage
}

// Info carries the retry hint of rate-limit bodies.
type Info struct {
	// RetryIn is seconds, possibly fractional or zero.
	RetryIn float64 `json:"retryIn"`
}

// Warning is an item of Status.Warnings.
type Warning struct {
	Level string `json:"level,omitempty"`
	Msg   string `json:"msg,omitempty"`
}

type statusFields Status

// UnmarshalJSON decodes a status, keeping unknown members in Extra.
func (s *Status) UnmarshalJSON(data []byte) error {
	var st Status
	d := newDecoder(data)
	defer d.release()
	if d.status(&st) {
		*s = st
		return nil
	}
	return s.unmarshalSlow(data)
}

// unmarshalSlow is UnmarshalJSON for the documents the one-pass decoder
// leaves to encoding/json.
func (s *Status) unmarshalSlow(data []byte) error {
	var known statusFields
	extra, zeros, err := decodeWithExtra(data, &known)
	if err != nil {
		return err
	}
	*s = Status(known)
	s.Extra, s.zeros = extra, zeros
	return nil
}

// MarshalJSON encodes the status with its Extra members, and with the
// named members that were received with a zero value and are still zero.
func (s Status) MarshalJSON() ([]byte, error) {
	return encodeWithExtra(statusFields(s), s.Extra, s.zeros)
}

// SetExtra sets a member verbatim, overriding the typed field of that name.
func (s *Status) SetExtra(key string, raw json.RawMessage) {
	if s.Extra == nil {
		s.Extra = make(map[string]json.RawMessage)
	}
	s.Extra[key] = raw
}

// DecodeStatus decodes one status body. A body that is not a JSON object
// gives an error wrapping ErrMalformedStatus.
func DecodeStatus(body []byte) (*Status, error) {
	return decodeStatus(body, nil)
}

func decodeStatus(body []byte, known func(step, id string) bool) (*Status, error) {
	// The one-pass decoder validates the body itself; going through
	// json.Unmarshal would scan it twice more before UnmarshalJSON runs.
	// Where it gives up, known is ignored: the slow path is rare, and
	// decoding everything there is never wrong.
	d := newDecoder(body)
	defer d.release()
	d.known = known
	if st := new(Status); d.status(st) {
		return st, nil
	}
	var s Status
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedStatus, err)
	}
	return &s, nil
}

// IsSystemError reports the errno/code/syscall shape, a terminal failure.
func (s *Status) IsSystemError() bool {
	return s.Errno != nil && s.Code != "" && s.Syscall != ""
}
