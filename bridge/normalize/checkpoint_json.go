package normalize

import (
	"strconv"

	"github.com/tlbridge/tlbridge/internal/jsonenc"
)

// AppendJSON appends c as encoding/json encodes it without HTML escaping.
// A durable watch writes its checkpoint every few seconds, every key it
// has emitted each time; through reflection that encoding was half the
// CPU of the write. A test holds the two encodings to the same bytes.
func (c *Checkpoint) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	start := len(b)
	b = stringMember(b, start, "state", c.State)
	b = stringMember(b, start, "parent_id", c.ParentID)
	b = trueMember(b, start, "uploading", c.Uploading)
	b = trueMember(b, start, "executing", c.Executing)
	b = trueMember(b, start, "replaying", c.Replaying)
	b = trueMember(b, start, "meta", c.Meta)
	b = trueMember(b, start, "finished_seen", c.FinishedSeen)
	b = trueMember(b, start, "done", c.Done)
	b = keysMember(b, start, "uploads", c.Uploads)
	if len(c.Steps) > 0 {
		b = append(jsonenc.AppendKey(b, start, "steps"), '[')
		for i := range c.Steps {
			if i > 0 {
				b = append(b, ',')
			}
			b = c.Steps[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	b = intMember(b, start, "warnings", int64(c.Warnings))
	b = intMember(b, start, "bytes_finished", c.BytesFinished)
	b = trueMember(b, start, "meta_missing", c.MetaMissing)
	b = intMember(b, start, "bytes_sent", c.BytesSent)
	var err error
	if c.CombinedSent != 0 {
		if b, err = jsonenc.AppendFloat(jsonenc.AppendKey(b, start, "combined_sent"), c.CombinedSent); err != nil {
			return b, err
		}
	}
	if !c.ProgressAt.IsZero() {
		if b, err = jsonenc.AppendTime(jsonenc.AppendKey(b, start, "progress_at"), c.ProgressAt); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func (s *StepCheckpoint) appendJSON(b []byte) []byte {
	b = jsonenc.AppendString(append(b, `{"name":`...), s.Name)
	return append(keysMember(b, 0, "results", s.Results), '}')
}

// The members of an object whose opening brace ends at start, each left
// out when it is empty, as omitempty does.

func stringMember(b []byte, start int, key, v string) []byte {
	if v == "" {
		return b
	}
	return jsonenc.AppendString(jsonenc.AppendKey(b, start, key), v)
}

func trueMember(b []byte, start int, key string, v bool) []byte {
	if !v {
		return b
	}
	return append(jsonenc.AppendKey(b, start, key), "true"...)
}

func intMember(b []byte, start int, key string, v int64) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendInt(jsonenc.AppendKey(b, start, key), v, 10)
}

func keysMember(b []byte, start int, key string, keys []string) []byte {
	if len(keys) == 0 {
		return b
	}
	b = append(jsonenc.AppendKey(b, start, key), '[')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, k)
	}
	return append(b, ']')
}
