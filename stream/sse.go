package stream

import (
	"bytes"
	"io"

	"github.com/r3labs/sse/v2"
)

// sseReader reads SSE frames on the caller's goroutine. The library's
// client would start a read loop of its own per connection and hand each
// event over a channel: a goroutine and a hand-off per watch for nothing.
type sseReader struct {
	r *sse.EventStreamReader
}

func newSSEReader(body io.Reader, maxEventSize int) *sseReader {
	return &sseReader{r: sse.NewEventStreamReader(body, maxEventSize)}
}

// next returns the next frame with content, or io.EOF at the end of the
// stream.
func (s *sseReader) next() (sseFrame, error) {
	for {
		raw, err := s.r.ReadEvent()
		if err != nil {
			return sseFrame{}, err
		}
		if f := parseSSE(raw); len(f.event) > 0 || len(f.data) > 0 {
			return f, nil
		}
	}
}

// sseFrame is one frame's event name and data; data is its own copy.
type sseFrame struct {
	event string
	data  []byte
}

var (
	fieldData  = []byte("data:")
	fieldEvent = []byte("event:")

	newline        = []byte("\n")
	carriageReturn = []byte("\r")
)

// parseSSE reads a frame's lines as the library does: "data:" lines are
// joined by "\n", a bare "data" line adds an empty one, one space after
// the colon is dropped, and id:, retry: and comment lines are protocol,
// not content. A frame without an event name or data has no content.
func parseSSE(msg []byte) sseFrame {
	var f sseFrame
	eachLine(msg, func(line []byte) {
		switch {
		case bytes.HasPrefix(line, fieldData):
			f.data = append(append(f.data, fieldValue(line, len(fieldData))...), '\n')
		case string(line) == "data":
			f.data = append(f.data, '\n')
		case bytes.HasPrefix(line, fieldEvent):
			f.event = eventName(fieldValue(line, len(fieldEvent)))
		}
	})
	f.data = bytes.TrimSuffix(f.data, newline)
	return f
}

// eventName returns name as a string, without a copy for the names
// upstream sends (those of the kinds): one allocation less for nearly
// every frame.
func eventName(name []byte) string {
	for _, known := range kindNames[KindUnknown+1:] {
		if string(name) == known {
			return known
		}
	}
	return string(name)
}

// eachLine calls fn with each non-empty line of msg, lines ending in
// "\n", "\r" or both. It looks for the separators with bytes.IndexByte,
// which is vectorised: splitting rune by rune cost 7 % of the bridge's CPU
// under load.
func eachLine(msg []byte, fn func(line []byte)) {
	for len(msg) > 0 {
		var line []byte
		line, msg, _ = bytes.Cut(msg, newline)
		for len(line) > 0 {
			var part []byte
			part, line, _ = bytes.Cut(line, carriageReturn)
			if len(part) > 0 {
				fn(part)
			}
		}
	}
}

func fieldValue(line []byte, name int) []byte {
	v := line[name:]
	if len(v) > 0 && v[0] == ' ' {
		v = v[1:]
	}
	return v
}
