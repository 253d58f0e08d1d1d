package stream

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// messageKinds maps the payload-less messages ("data: <name>").
var messageKinds = map[string]Kind{
	MsgUploadingFinished: KindUploadingFinished,
	MsgMetaDataExtracted: KindMetaDataExtracted,
	MsgAssemblyFinished:  KindAssemblyFinished,
}

// ParseFrame decodes one SSE frame: event is its "event:" field ("" or
// "message" for none), data its "data:" lines joined by "\n". The frame's
// "id:" is deliberately not an input: upstream stamps the Assembly ID on
// every frame, so it identifies nothing.
//
// A frame without an event name is a message whose data is its name; an
// unknown message gives KindUnknown with Name set to the data when that
// looks like a name, else "". A named frame is an event; an unknown event
// gives KindUnknown with Name set. An event named like a message is taken
// as that message. Raw is data, not copied: the caller must not modify data
// afterwards.
//
// When a known event's payload does not decode, ParseFrame returns the
// Update with its Kind and Name but without the typed payload, and an error
// wrapping [ErrMalformedEvent]; [Client] delivers such an update as
// KindUnknown with [Update.Err] set. An assembly_error payload that is not
// a JSON object still yields Update.Error (see [KindAssemblyError]).
// ReceivedAt is left zero.
func ParseFrame(event string, data []byte) (Update, error) {
	if event == "" || event == "message" {
		return parseMessage(data), nil
	}
	u := Update{Name: event, Raw: data}
	if k, ok := messageKinds[event]; ok {
		u.Kind = k
		return u, nil
	}
	var err error
	switch event {
	case EvUploadFinished:
		u.Kind = KindUploadFinished
		// One pass: json.Unmarshal would validate the payload and find
		// each nested value's extent before the model's decoder reads it.
		u.Upload, err = transloadit.DecodeFile(data)
	case EvResultFinished:
		u.Kind = KindResultFinished
		u.Step, u.Result, err = transloadit.DecodeResult(data)
	case EvExecutionProgress:
		u.Kind = KindExecutionProgress
		u.Progress, err = decodeProgress(data)
	case EvAssemblyError:
		u.Kind = KindAssemblyError
		u.Error, err = decodeAssemblyError(data)
	default:
		return u, nil
	}
	if err != nil {
		return u, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, event, err)
	}
	return u, nil
}

func parseMessage(data []byte) Update {
	name := strings.TrimSpace(string(data))
	if k, ok := messageKinds[name]; ok {
		return Update{Kind: k, Name: name, Raw: data}
	}
	if !plausibleName(name) {
		name = ""
	}
	return Update{Kind: KindUnknown, Name: name, Raw: data}
}

// plausibleName keeps Update.Name short and printable: an unknown message
// with a JSON body or a megabyte of text is not a name, and Raw has it.
func plausibleName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}

// firstByte returns the first non-space byte of a JSON text, 0 if none.
// json.Unmarshal of "null" into a struct succeeds without setting
// anything, so the shape has to be checked before decoding.
func firstByte(data []byte) byte {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

var errNotObject = fmt.Errorf("payload is not a JSON object")

func decodeProgress(data []byte) (*Progress, error) {
	if firstByte(data) != '{' {
		return nil, errNotObject
	}
	var p Progress
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// decodeAssemblyError always returns a status: the Assembly failed whatever
// the payload looks like. Uppy falls back to the payload as plain text.
func decodeAssemblyError(data []byte) (*transloadit.Status, error) {
	switch firstByte(data) {
	case '{':
		if s, err := transloadit.DecodeStatus(data); err == nil {
			return s, nil
		}
	case '"':
		var msg string
		if err := json.Unmarshal(data, &msg); err == nil {
			return &transloadit.Status{Message: msg}, nil
		}
	}
	return &transloadit.Status{Message: string(data)}, errNotObject
}
