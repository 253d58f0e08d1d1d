package transloadit

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// DecodeFile decodes a file object, such as the payload of the update
// stream's assembly_upload_finished. It is File.UnmarshalJSON without the
// two scans json.Unmarshal makes before calling it. A payload that is not
// a JSON object gives an error wrapping [ErrMalformedFile].
func DecodeFile(data []byte) (*File, error) {
	if firstByte(data) != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformedFile)
	}
	f := new(File)
	if err := f.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedFile, err)
	}
	return f, nil
}

// DecodeResult decodes the payload of assembly_result_finished, a JSON
// array [step, file], in one pass over data. A payload of another shape
// gives an error wrapping [ErrMalformedResult]. The file's raw members
// (Meta, Extra, ...) may point into data, which must not change
// afterwards: a stream payload is small and kept with its update, so
// copying them would only double it.
func DecodeResult(data []byte) (step string, f *File, err error) {
	f = new(File)
	d := newDecoder(data)
	defer d.release()
	d.alias = true
	if step, ok := d.result(f); ok {
		return step, f, nil
	}
	return decodeResultSlow(data)
}

// result decodes a [step, file] pair into f, which must be zero. On
// false, f holds garbage and the caller takes the slow path, which has
// the rules and the messages for whatever this refused.
func (d *decoder) result(f *File) (string, bool) {
	d.SkipSpace()
	if !d.open('[') || d.Peek() != '"' {
		return "", false
	}
	start := d.Off
	escaped, ok := d.Str()
	if !ok || escaped {
		return "", false
	}
	s := d.Data[start+1 : d.Off-1]
	if !utf8.Valid(s) {
		return "", false
	}
	step := string(s)
	d.SkipSpace()
	if !d.open(',') || !d.file(f) {
		return "", false
	}
	d.SkipSpace()
	if d.Peek() != ']' {
		return "", false
	}
	d.Off++
	return step, d.End()
}

// open consumes c and the whitespace after it.
func (d *decoder) open(c byte) bool {
	if d.Peek() != c {
		return false
	}
	d.Off++
	d.SkipSpace()
	return true
}

// decodeResultSlow is DecodeResult through encoding/json.
func decodeResultSlow(data []byte) (string, *File, error) {
	notPair := fmt.Errorf("%w: not a JSON array [step, result]", ErrMalformedResult)
	if firstByte(data) != '[' {
		return "", nil, notPair
	}
	var pair []json.RawMessage
	if err := json.Unmarshal(data, &pair); err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrMalformedResult, err)
	}
	if len(pair) != 2 || firstByte(pair[0]) != '"' {
		return "", nil, notPair
	}
	var step string
	if err := json.Unmarshal(pair[0], &step); err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrMalformedResult, err)
	}
	if firstByte(pair[1]) != '{' {
		return "", nil, notPair
	}
	var f File
	if err := f.UnmarshalJSON(pair[1]); err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrMalformedResult, err)
	}
	return step, &f, nil
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
