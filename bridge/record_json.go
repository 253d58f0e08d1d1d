package bridge

import (
	"encoding/json"
	"strconv"

	"github.com/tlbridge/tlbridge/internal/jsonenc"
)

// appendJSON appends r as encoding/json encodes it without HTML escaping:
// the record is written every few seconds per durable watch, and its
// checkpoint holds every key the watch emitted (see
// normalize.Checkpoint.AppendJSON). A test holds the two encodings to
// the same bytes.
func (r *watchRecord) appendJSON(b []byte) ([]byte, error) {
	b = jsonenc.AppendString(append(b, `{"assembly_id":`...), r.AssemblyID)
	b = jsonenc.AppendString(append(b, `,"watch":`...), r.Watch)
	b = jsonenc.TrueMember(b, 0, "replay", r.Replay)
	b = jsonenc.AppendString(append(b, `,"owner":`...), r.Owner)
	b, err := jsonenc.AppendTime(append(b, `,"started_at":`...), r.StartedAt)
	if err != nil {
		return b, err
	}
	if b, err = jsonenc.AppendTime(append(b, `,"updated_at":`...), r.UpdatedAt); err != nil {
		return b, err
	}
	b = strconv.AppendInt(append(b, `,"events":`...), int64(r.Events), 10)
	if b, err = r.Checkpoint.AppendJSON(append(b, `,"checkpoint":`...)); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

// appender is a record that encodes itself without reflection.
type appender interface {
	appendJSON(b []byte) ([]byte, error)
}

// encodeRecord appends v's encoding to buf through v's own encoder, or
// returns encoding/json's for a record without one (written once per
// Assembly, it is not worth one).
func encodeRecord(buf []byte, v any) ([]byte, error) {
	if a, ok := v.(appender); ok {
		return a.appendJSON(buf)
	}
	return json.Marshal(v)
}
