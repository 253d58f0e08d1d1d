package schemas

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// File is an upload or a result file object as Transloadit sends it. The
// members most consumers read are typed; every other member (queue, cost,
// exec_time, user_meta, and whatever upstream adds) is kept verbatim in
// Extra, so a file survives Decode and Encode unchanged apart from the
// order of its members and false or zero members that are omitted.
type File struct {
	ID               string `json:"id,omitempty"`
	Name             string `json:"name,omitempty"`
	Basename         string `json:"basename,omitempty"`
	Ext              string `json:"ext,omitempty"`
	Size             int64  `json:"size,omitempty"`
	Mime             string `json:"mime,omitempty"`
	Type             string `json:"type,omitempty"`
	Field            string `json:"field,omitempty"`
	MD5Hash          string `json:"md5hash,omitempty"`
	OriginalID       string `json:"original_id,omitempty"`
	OriginalBasename string `json:"original_basename,omitempty"`
	OriginalName     string `json:"original_name,omitempty"`
	OriginalPath     string `json:"original_path,omitempty"`
	OriginalMD5Hash  string `json:"original_md5hash,omitempty"`
	FromBatchImport  bool   `json:"from_batch_import,omitempty"`
	IsTusFile        bool   `json:"is_tus_file,omitempty"`
	TusUploadURL     string `json:"tus_upload_url,omitempty"`
	// URL and SSLURL are where the file can be fetched; upstream's
	// temporary URLs expire.
	URL    string `json:"url,omitempty"`
	SSLURL string `json:"ssl_url,omitempty"`
	// Meta is the file's metadata object, verbatim. It is the first thing
	// dropped when an event would be too large (see Base.Truncated).
	Meta json.RawMessage `json:"meta,omitempty"`

	// Extra holds the members not named above, verbatim. On encode a key
	// here wins over the typed field of the same name.
	Extra map[string]json.RawMessage `json:"-"`
}

type fileFields File

// fileKeys are the JSON member names File types; the rest go to Extra.
var fileKeys = func() map[string]bool {
	t := reflect.TypeFor[fileFields]()
	keys := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}()

// UnmarshalJSON decodes a file object, keeping unknown members in Extra.
func (f *File) UnmarshalJSON(data []byte) error {
	var known fileFields
	if err := json.Unmarshal(data, &known); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	for k, v := range all {
		if fileKeys[k] {
			continue
		}
		if known.Extra == nil {
			known.Extra = make(map[string]json.RawMessage)
		}
		known.Extra[k] = v
	}
	*f = File(known)
	return nil
}

// MarshalJSON encodes the file with its Extra members: the typed members
// in declaration order, then the Extra members sorted by name, so the
// encoding is deterministic.
func (f File) MarshalJSON() ([]byte, error) {
	typed := fileFields(f)
	for k := range f.Extra {
		if fileKeys[k] {
			typed = typed.without(k) // the Extra member wins
		}
	}
	b, err := marshalNoEscape(typed)
	if err != nil || len(f.Extra) == 0 {
		return b, err
	}
	keys := make([]string, 0, len(f.Extra))
	for k := range f.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := bytes.NewBuffer(make([]byte, 0, len(b)+64*len(keys)))
	out.Write(b[:len(b)-1]) // drop "}"
	for i, k := range keys {
		if i > 0 || len(b) > 2 {
			out.WriteByte(',')
		}
		kb, err := marshalNoEscape(k)
		if err != nil {
			return nil, err
		}
		out.Write(kb)
		out.WriteByte(':')
		v := f.Extra[k]
		if len(v) == 0 {
			v = json.RawMessage("null")
		}
		out.Write(v)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// without returns f with the typed member named key zeroed, so that
// omitempty leaves it out.
func (f fileFields) without(key string) fileFields {
	v := reflect.ValueOf(&f).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name == key {
			v.Field(i).SetZero()
		}
	}
	return f
}

// marshalNoEscape is json.Marshal without HTML escaping: URLs with query
// strings stay readable ("&", not "\u0026").
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
