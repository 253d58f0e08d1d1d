package transloadit

import "encoding/json"

// File is one upload (an item of Status.Uploads, or the payload of the SSE
// event assembly_upload_finished) or one result (an item of a step's results,
// or the second element of assembly_result_finished). Every field is
// optional upstream; fields the model does not name are kept in Extra.
type File struct {
	ID               string          `json:"id,omitempty"`
	Name             string          `json:"name,omitempty"`
	Basename         string          `json:"basename,omitempty"`
	Ext              string          `json:"ext,omitempty"`
	Size             int64           `json:"size,omitempty"`
	Mime             string          `json:"mime,omitempty"`
	Type             string          `json:"type,omitempty"`
	Field            string          `json:"field,omitempty"`
	MD5Hash          string          `json:"md5hash,omitempty"`
	OriginalID       string          `json:"original_id,omitempty"`
	OriginalBasename string          `json:"original_basename,omitempty"`
	OriginalName     string          `json:"original_name,omitempty"`
	OriginalPath     string          `json:"original_path,omitempty"`
	OriginalMD5Hash  string          `json:"original_md5hash,omitempty"`
	FromBatchImport  bool            `json:"from_batch_import,omitempty"`
	IsTusFile        bool            `json:"is_tus_file,omitempty"`
	TusUploadURL     string          `json:"tus_upload_url,omitempty"`
	URL              string          `json:"url,omitempty"`
	SSLURL           string          `json:"ssl_url,omitempty"`
	Meta             json.RawMessage `json:"meta,omitempty"`

	// Extra holds the members the model does not name (queue, cost,
	// exec_time, user_meta, ...), verbatim. On encode a key here wins over
	// the typed field of the same name.
	Extra map[string]json.RawMessage `json:"-"`

	// zeros are named members that decoded to a zero value, such as
	// "is_tus_file": false or "tus_upload_url": null, kept so encoding
	// writes them back as received (the API's schema requires several).
	zeros map[string]json.RawMessage
}

type fileFields File

// UnmarshalJSON decodes a file object, keeping unknown members in Extra.
func (f *File) UnmarshalJSON(data []byte) error {
	d := newDecoder(data)
	defer d.release()
	d.SkipSpace()
	var nf File
	if d.file(&nf) && d.End() {
		*f = nf
		return nil
	}
	return f.unmarshalSlow(data)
}

// unmarshalSlow is UnmarshalJSON for the documents the one-pass decoder
// leaves to encoding/json.
func (f *File) unmarshalSlow(data []byte) error {
	var known fileFields
	extra, zeros, err := decodeWithExtra(data, &known)
	if err != nil {
		return err
	}
	*f = File(known)
	f.Extra, f.zeros = extra, zeros
	if len(f.Meta) > 0 && string(f.Meta) == "null" {
		f.Meta = nil
		f.setExtra("meta", json.RawMessage("null"))
	} else if len(f.Meta) > 0 {
		f.Meta = compact(f.Meta)
	}
	return nil
}

// MarshalJSON encodes the file with its Extra members, and with the named
// members that were received with a zero value and are still zero.
func (f File) MarshalJSON() ([]byte, error) {
	return encodeWithExtra(fileFields(f), f.Extra, f.zeros)
}

func (f *File) setExtra(k string, v json.RawMessage) {
	if f.Extra == nil {
		f.Extra = make(map[string]json.RawMessage)
	}
	f.Extra[k] = v
}
