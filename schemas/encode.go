package schemas

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/tlbridge/tlbridge/internal/jsonenc"
	"github.com/tlbridge/tlbridge/internal/jsonscan"
)

// The encoder writes an event in one pass, appending to one buffer.
// encoding/json would compact and validate the output of every
// MarshalJSON and RawMessage again at each level of nesting, so a file's
// bytes were scanned three or four times. The output is byte for byte
// what encoding/json gives without HTML escaping (a test holds the two
// to that); payloads of types not written here still go through it.

// appendData appends the JSON of a payload. The types of the events an
// Assembly sends many of are written here; the others, one or two per
// Assembly, go through encoding/json.
func appendData(b []byte, data any) ([]byte, error) {
	switch d := data.(type) {
	case *StepResult:
		if d != nil {
			return d.appendJSON(b)
		}
	case *UploadFinished:
		if d != nil {
			return d.appendJSON(b)
		}
	case *ExecutionProgress:
		if d != nil {
			return d.appendJSON(b)
		}
	case *UploadProgress:
		if d != nil {
			return d.appendJSON(b)
		}
	}
	raw, err := marshalNoEscape(data)
	return append(b, raw...), err
}

func (d *StepResult) appendJSON(b []byte) ([]byte, error) {
	b, err := appendBase(b, &d.Base)
	if err != nil {
		return b, err
	}
	b = jsonenc.AppendString(append(b, `,"step":`...), d.Step)
	b, err = d.Result.appendJSON(append(b, `,"result":`...))
	return append(b, '}'), err
}

func (d *UploadFinished) appendJSON(b []byte) ([]byte, error) {
	b, err := appendBase(b, &d.Base)
	if err != nil {
		return b, err
	}
	b, err = d.Upload.appendJSON(append(b, `,"upload":`...))
	return append(b, '}'), err
}

func (d *UploadProgress) appendJSON(b []byte) ([]byte, error) {
	b, err := appendBase(b, &d.Base)
	b = strconv.AppendInt(append(b, `,"bytes_received":`...), d.BytesReceived, 10)
	if d.BytesExpected != nil {
		b = strconv.AppendInt(append(b, `,"bytes_expected":`...), *d.BytesExpected, 10)
	}
	return append(b, '}'), err
}

func (d *ExecutionProgress) appendJSON(b []byte) ([]byte, error) {
	b, err := appendBase(b, &d.Base)
	if err != nil {
		return b, err
	}
	b, err = jsonenc.AppendFloat(append(b, `,"progress_combined":`...), d.ProgressCombined)
	if err != nil {
		return b, err
	}
	if len(d.PerFile) > 0 {
		b = append(b, `,"progress_per_original_file":[`...)
		for i, p := range d.PerFile {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonenc.AppendString(append(b, `{"original_id":`...), p.OriginalID)
			if b, err = jsonenc.AppendFloat(append(b, `,"progress":`...), p.Progress); err != nil {
				return b, err
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// appendBase appends an opening brace and Base's members.
func appendBase(b []byte, base *Base) ([]byte, error) {
	b = jsonenc.AppendString(append(b, `{"assembly_id":`...), base.AssemblyID)
	b = jsonenc.AppendString(append(b, `,"state":`...), base.State)
	b = jsonenc.AppendString(append(b, `,"source":`...), base.Source)
	b, err := jsonenc.AppendTime(append(b, `,"observed_at":`...), base.ObservedAt)
	b = jsonenc.StringMember(b, 0, "parent_id", base.ParentID)
	return jsonenc.TrueMember(b, 0, "truncated", base.Truncated), err
}

// appendJSON appends the file as MarshalJSON encodes it: the typed
// members in declaration order, unless Extra has the same key, then the
// Extra members sorted by key.
func (f *File) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	start := len(b)
	shadow := func(key string) bool {
		_, ok := f.Extra[key]
		return ok
	}
	b = appendStringMember(b, start, "id", f.ID, shadow)
	b = appendStringMember(b, start, "name", f.Name, shadow)
	b = appendStringMember(b, start, "basename", f.Basename, shadow)
	b = appendStringMember(b, start, "ext", f.Ext, shadow)
	if f.Size != 0 && !shadow("size") {
		b = jsonenc.IntMember(b, start, "size", f.Size)
	}
	b = appendStringMember(b, start, "mime", f.Mime, shadow)
	b = appendStringMember(b, start, "type", f.Type, shadow)
	b = appendStringMember(b, start, "field", f.Field, shadow)
	b = appendStringMember(b, start, "md5hash", f.MD5Hash, shadow)
	b = appendStringMember(b, start, "original_id", f.OriginalID, shadow)
	b = appendStringMember(b, start, "original_basename", f.OriginalBasename, shadow)
	b = appendStringMember(b, start, "original_name", f.OriginalName, shadow)
	b = appendStringMember(b, start, "original_path", f.OriginalPath, shadow)
	b = appendStringMember(b, start, "original_md5hash", f.OriginalMD5Hash, shadow)
	if f.FromBatchImport && !shadow("from_batch_import") {
		b = jsonenc.TrueMember(b, start, "from_batch_import", true)
	}
	if f.IsTusFile && !shadow("is_tus_file") {
		b = jsonenc.TrueMember(b, start, "is_tus_file", true)
	}
	b = appendStringMember(b, start, "tus_upload_url", f.TusUploadURL, shadow)
	b = appendStringMember(b, start, "url", f.URL, shadow)
	b = appendStringMember(b, start, "ssl_url", f.SSLURL, shadow)
	var err error
	if len(f.Meta) > 0 && !shadow("meta") {
		if b, err = appendRaw(jsonenc.AppendKey(b, start, "meta"), f.Meta); err != nil {
			return b, err
		}
	}
	if len(f.Extra) == 0 {
		return append(b, '}'), nil
	}
	keys := make([]string, 0, len(f.Extra))
	for k := range f.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if len(b) > start {
			b = append(b, ',')
		}
		b = append(jsonenc.AppendString(b, k), ':')
		v := f.Extra[k]
		if len(v) == 0 {
			b = append(b, "null"...)
			continue
		}
		if b, err = appendRaw(b, v); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendStringMember is jsonenc.StringMember unless Extra has the key. The
// cheap test of an empty value comes first: most members are empty, and
// the Extra lookup is not free on this path.
func appendStringMember(b []byte, start int, key, v string, shadow func(string) bool) []byte {
	if v == "" || shadow(key) {
		return b
	}
	return jsonenc.StringMember(b, start, key, v)
}

// appendRaw appends a JSON value compacted, and fails on one that is not
// valid, as encoding/json does with a RawMessage. The values are nearly
// always compact already, having come through the status decoder, so the
// scanner's check and copy replace json.Compact's state machine, which
// costs a call per byte; json.Compact decides what the scanner refuses.
func appendRaw(b []byte, raw []byte) ([]byte, error) {
	if b, ok := jsonscan.AppendCompact(b, raw); ok {
		return b, nil
	}
	buf := bytes.NewBuffer(b)
	err := json.Compact(buf, raw)
	return buf.Bytes(), err
}
