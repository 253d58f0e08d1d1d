package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/tlbridge/tlbridge/internal/jsonenc"
)

// Envelope constants.
const (
	// SpecVersion is the CloudEvents version of the envelope.
	SpecVersion = "1.0"
	// DataContentType is the content type of data.
	DataContentType = "application/json"
	// ContentType is the media type of an encoded event (structured mode);
	// publishers send it as the message's Content-Type header.
	ContentType = "application/cloudevents+json"
)

// Event is one event in the CloudEvents 1.0 envelope. Data holds a pointer
// to the payload type of Type (e.g. *StepResult for TypeStepResult); after
// [Decode] of a v1 type this package does not know, it holds the data as
// [encoding/json.RawMessage].
type Event struct {
	SpecVersion string
	// ID is the event's idempotency key, e.g. "<assembly id>/result/<step>/<result id>";
	// it is also the NATS Nats-Msg-Id header.
	ID string
	// Source identifies the producer, e.g. "tlbridge/<instance>".
	Source string
	Type   Type
	// Subject is the NATS subject the event is published on (see [Subject]).
	Subject         string
	Time            time.Time
	DataContentType string
	// DataSchema is the $id of Type's JSON Schema.
	DataSchema string
	Data       any
}

// NewEvent returns an event with the constant envelope attributes filled in
// from t. The time is kept in UTC.
func NewEvent(t Type, id, source, subject string, at time.Time, data Payload) Event {
	return Event{
		SpecVersion:     SpecVersion,
		ID:              id,
		Source:          source,
		Type:            t,
		Subject:         subject,
		Time:            at.UTC(),
		DataContentType: DataContentType,
		DataSchema:      t.SchemaURL(),
		Data:            data,
	}
}

// Base returns the common fields of the event's data, or nil when Data is
// not one of this package's payload types.
func (e *Event) Base() *Base {
	if p, ok := e.Data.(Payload); ok && p != nil {
		return p.BaseData()
	}
	return nil
}

// wireEvent is the structured-mode JSON form. Member order follows the
// CloudEvents spec's attribute order, so encodings are deterministic.
type wireEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            string          `json:"time,omitempty"`
	DataContentType string          `json:"datacontenttype,omitempty"`
	DataSchema      string          `json:"dataschema,omitempty"`
	Data            json.RawMessage `json:"data,omitempty"`
}

// Encode writes ev as structured-mode CloudEvents JSON. Empty SpecVersion,
// DataContentType and DataSchema are filled in; a missing ID, Source or
// Type wraps [ErrInvalidEvent]. The same event always encodes to the same
// bytes.
func Encode(ev Event) ([]byte, error) {
	bp := encodeBufs.Get().(*[]byte)
	b, err := AppendEncode((*bp)[:0], ev)
	var out []byte
	if err == nil {
		out = bytes.Clone(b)
		if cap(b) <= maxPooledEncode {
			*bp = b
		}
	}
	encodeBufs.Put(bp)
	return out, err
}

// AppendEncode appends the encoding of ev, as [Encode] makes it, to b and
// returns the extended buffer; on error b is returned unchanged. Callers
// that recycle their buffers encode without an allocation of their own.
func AppendEncode(b []byte, ev Event) ([]byte, error) {
	if ev.ID == "" || ev.Source == "" || ev.Type == "" {
		return b, fmt.Errorf("%w: id, source and type are required", ErrInvalidEvent)
	}
	out, err := appendEvent(b, &ev)
	if err != nil {
		return b, err
	}
	return out, nil
}

// encodeBufs holds Encode's scratch buffers: an event is built in one and
// copied out at its exact size, one allocation instead of one for each
// time a fresh slice would have doubled.
var encodeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxPooledEncode keeps a rare huge event's buffer out of the pool, so it
// does not stay allocated.
const maxPooledEncode = 64 << 10

// appendEvent appends ev's encoding to b.
func appendEvent(b []byte, ev *Event) ([]byte, error) {
	specVersion, contentType, schema := ev.SpecVersion, ev.DataContentType, ev.DataSchema
	if specVersion == "" {
		specVersion = SpecVersion
	}
	if contentType == "" {
		contentType = DataContentType
	}
	if schema == "" && ev.Type.Known() {
		schema = ev.Type.SchemaURL()
	}
	// Member order follows the CloudEvents spec's attribute order (see
	// wireEvent), so encodings are deterministic.
	b = jsonenc.AppendString(append(b, `{"specversion":`...), specVersion)
	b = jsonenc.AppendString(append(b, `,"id":`...), ev.ID)
	b = jsonenc.AppendString(append(b, `,"source":`...), ev.Source)
	b = jsonenc.AppendString(append(b, `,"type":`...), ev.Type.CloudEventsType())
	b = jsonenc.StringMember(b, 0, "subject", ev.Subject)
	if !ev.Time.IsZero() {
		b = append(b, `,"time":"`...)
		b = append(ev.Time.UTC().AppendFormat(b, time.RFC3339Nano), '"')
	}
	b = jsonenc.AppendString(append(b, `,"datacontenttype":`...), contentType)
	b = jsonenc.StringMember(b, 0, "dataschema", schema)
	if ev.Data != nil {
		var err error
		if b, err = appendData(append(b, `,"data":`...), ev.Data); err != nil {
			return nil, fmt.Errorf("%w: data: %v", ErrInvalidEvent, err)
		}
	}
	return append(b, '}'), nil
}

// Decode reads a structured-mode CloudEvents JSON event of this catalogue.
// Data of a known type is decoded into its payload type; data of an
// unknown v1 type is kept as json.RawMessage. Errors wrap [ErrInvalidEvent].
func Decode(b []byte) (*Event, error) {
	var w wireEvent
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidEvent, err)
	}
	if w.SpecVersion != SpecVersion {
		return nil, fmt.Errorf("%w: specversion %q, want %q", ErrInvalidEvent, w.SpecVersion, SpecVersion)
	}
	if w.ID == "" || w.Source == "" {
		return nil, fmt.Errorf("%w: id and source are required", ErrInvalidEvent)
	}
	t, err := ParseCloudEventsType(w.Type)
	if err != nil {
		return nil, err
	}
	ev := &Event{
		SpecVersion: w.SpecVersion, ID: w.ID, Source: w.Source, Type: t, Subject: w.Subject,
		DataContentType: w.DataContentType, DataSchema: w.DataSchema,
	}
	if w.Time != "" {
		if ev.Time, err = time.Parse(time.RFC3339Nano, w.Time); err != nil {
			return nil, fmt.Errorf("%w: time: %v", ErrInvalidEvent, err)
		}
	}
	if ev.Data, err = decodeData(t, w.Data); err != nil {
		return nil, err
	}
	return ev, nil
}

func decodeData(t Type, raw json.RawMessage) (any, error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	mk, ok := newData[t]
	if !ok {
		return raw, nil
	}
	d := mk()
	if err := json.Unmarshal(raw, d); err != nil {
		return nil, fmt.Errorf("%w: data of %s: %v", ErrInvalidEvent, t, err)
	}
	return d, nil
}
