// Package strictjson decodes a JSON object the way a protocol should be
// read, not the way encoding/json forgives: member names match struct
// tags exactly (encoding/json ignores case, so {"Assembly_ID": ...} would
// fill AssemblyID), a repeated member is an error (encoding/json keeps the
// last one, so two readers of one body could disagree), and a member the
// type does not declare is an error unless allowed.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
)

// Sentinel errors of Decode; every error it returns wraps one of them or
// is encoding/json's own (a syntax or type error).
var (
	// ErrNotObject: the input is not one JSON object.
	ErrNotObject = errors.New("strictjson: not a JSON object")
	// ErrDuplicateKey: a member name appears twice in the object.
	ErrDuplicateKey = errors.New("strictjson: duplicate key")
	// ErrUnknownKey: a member name the type does not declare, including
	// a declared name in another case.
	ErrUnknownKey = errors.New("strictjson: unknown key")
)

// Option adjusts one Decode call.
type Option func(*options)

type options struct{ allowUnknown bool }

// AllowUnknown accepts (and ignores) members the type does not declare,
// for formats that may grow. Names that match a declared one only when
// case is ignored are still refused.
func AllowUnknown() Option { return func(o *options) { o.allowUnknown = true } }

// Decode decodes the JSON object in data into v, a pointer to a struct
// (or to a map, whose keys are then all known). The object's own members
// are checked: each name at most once, and exactly a name v's type
// declares (its json tag, or its field name when it has none). Nested
// values are decoded by encoding/json as usual. Whitespace may surround
// the object; anything else after it is an error. Callers bound data.
func Decode(data []byte, v any, opts ...Option) error {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	known := knownKeys(reflect.TypeOf(v))
	if err := checkKeys(data, known, o.allowUnknown); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if known != nil && !o.allowUnknown {
		dec.DisallowUnknownFields()
	}
	return dec.Decode(v)
}

// checkKeys walks the object's members once, without decoding them.
func checkKeys(data []byte, known map[string]bool, allowUnknown bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("%w: %s", ErrNotObject, describe(tok, err))
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string) // inside an object, encoding/json yields only string keys here
		if seen[key] {
			return fmt.Errorf("%w: %q", ErrDuplicateKey, short(key))
		}
		seen[key] = true
		if err := checkKey(key, known, allowUnknown); err != nil {
			return err
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the object", ErrNotObject)
	}
	return nil
}

// checkKey refuses a name the type does not declare; known == nil means
// every name is known.
func checkKey(key string, known map[string]bool, allowUnknown bool) error {
	if known == nil || known[key] {
		return nil
	}
	for k := range known {
		if strings.EqualFold(k, key) {
			return fmt.Errorf("%w: %q (did you mean %q?)", ErrUnknownKey, short(key), k)
		}
	}
	if allowUnknown {
		return nil
	}
	return fmt.Errorf("%w: %q", ErrUnknownKey, short(key))
}

var keyCache sync.Map // reflect.Type -> map[string]bool

// knownKeys returns the member names t (a pointer to a struct) declares,
// or nil when t is no struct pointer (every name is known).
func knownKeys(t reflect.Type) map[string]bool {
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	if m, ok := keyCache.Load(t); ok {
		return m.(map[string]bool)
	}
	m := map[string]bool{}
	addFields(t.Elem(), m, 0)
	keyCache.Store(t, m)
	return m
}

// addFields adds the JSON names of struct type t's fields, promoting
// those of embedded structs without a tag, as encoding/json does.
func addFields(t reflect.Type, m map[string]bool, depth int) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && f.Tag.Get("json") == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct && depth < 8 {
			addFields(ft, m, depth+1)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = true
	}
}

// describe names what stands where the object should start, without
// quoting the input.
func describe(tok json.Token, err error) string {
	switch t := tok.(type) {
	case nil:
		if err != nil {
			return err.Error()
		}
		return "null"
	case json.Delim:
		return "starts with " + t.String()
	}
	return fmt.Sprintf("a %T", tok)
}

// short bounds a key quoted in an error.
func short(s string) string {
	if len(s) <= 64 {
		return s
	}
	return strings.ToValidUTF8(s[:64], "") + "..."
}
