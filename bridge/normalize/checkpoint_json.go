package normalize

import "github.com/tlbridge/tlbridge/internal/jsonenc"

// AppendJSON appends c as encoding/json encodes it without HTML escaping.
// A durable watch writes its checkpoint every few seconds, every key it
// has emitted each time; through reflection that encoding was half the
// CPU of the write. A test holds the two encodings to the same bytes.
func (c *Checkpoint) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	start := len(b)
	b = jsonenc.StringMember(b, start, "state", c.State)
	b = jsonenc.StringMember(b, start, "parent_id", c.ParentID)
	b = jsonenc.TrueMember(b, start, "uploading", c.Uploading)
	b = jsonenc.TrueMember(b, start, "executing", c.Executing)
	b = jsonenc.TrueMember(b, start, "replaying", c.Replaying)
	b = jsonenc.TrueMember(b, start, "meta", c.Meta)
	b = jsonenc.TrueMember(b, start, "finished_seen", c.FinishedSeen)
	b = jsonenc.TrueMember(b, start, "done", c.Done)
	b = jsonenc.StringsMember(b, start, "uploads", c.Uploads)
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
	b = jsonenc.IntMember(b, start, "warnings", int64(c.Warnings))
	b = jsonenc.IntMember(b, start, "bytes_finished", c.BytesFinished)
	b = jsonenc.TrueMember(b, start, "meta_missing", c.MetaMissing)
	b = jsonenc.IntMember(b, start, "bytes_sent", c.BytesSent)
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
	return append(jsonenc.StringsMember(b, 0, "results", s.Results), '}')
}
