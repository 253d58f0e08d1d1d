package transloadit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// knownKeys caches the JSON members of a struct type, so decoding can tell
// the fields the model owns from the ones it keeps verbatim in Extra.
var knownKeys sync.Map // reflect.Type -> *typeKeys

// typeKeys are a struct type's JSON member names, and for those whose
// field is left out of the encoding when zero (omitempty, omitzero), the
// field's index.
type typeKeys struct {
	known     map[string]bool
	lower     map[string]bool // known, lower-cased
	omittable map[string]int

	// fields are the known members as the one-pass decoder reads them;
	// nil if it cannot, which leaves the type to decodeWithExtra.
	fields  map[string]*field
	longest int // length of the longest known name
}

func keysOf(t reflect.Type) *typeKeys {
	if v, ok := knownKeys.Load(t); ok {
		return v.(*typeKeys)
	}
	tk := &typeKeys{known: make(map[string]bool, t.NumField()), lower: make(map[string]bool, t.NumField()),
		omittable: make(map[string]int), fields: make(map[string]*field, t.NumField())}
	for i := 0; i < t.NumField(); i++ {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		tk.known[name] = true
		tk.lower[strings.ToLower(name)] = true
		omittable := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		if omittable {
			tk.omittable[name] = i
		}
		tk.fields[name] = &field{name: name, index: i, omittable: omittable, kind: kindOf(t.Field(i).Type, opts)}
		tk.longest = max(tk.longest, len(name))
	}
	if t.NumField() > fieldsMax {
		tk.fields = nil
	}
	knownKeys.Store(t, tk)
	return tk
}

// decodeWithExtra decodes data into known (a pointer to a struct without
// custom methods). It returns the members whose keys known does not
// declare (extra), and the members known declares but would leave out
// when encoding because they decoded to a zero value, such as
// "is_tus_file": false or "tus_upload_url": null (zeros). Values are
// compacted, so a decode of an encode gives the same value.
func decodeWithExtra(data []byte, known any) (extra, zeros map[string]json.RawMessage, err error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, nil, err
	}
	v := reflect.ValueOf(known).Elem()
	tk := keysOf(v.Type())
	if tk.shadowed(all) {
		err = decodeExact(all, tk, known)
	} else {
		err = json.Unmarshal(data, known)
	}
	if err != nil {
		return nil, nil, err
	}
	for k, raw := range all {
		dst := &extra
		if tk.known[k] {
			i, ok := tk.omittable[k]
			if !ok || !v.Field(i).IsZero() {
				continue
			}
			dst = &zeros
		}
		if *dst == nil {
			*dst = make(map[string]json.RawMessage)
		}
		(*dst)[k] = compact(raw)
	}
	return extra, zeros, nil
}

// shadowed reports a member that is not a known key but matches one when
// case is ignored ("OK" beside "ok"). encoding/json matches keys without
// regard to case, so such a member could overwrite a typed field, and
// would then also be kept in Extra: the round trip would change the value.
func (tk *typeKeys) shadowed(all map[string]json.RawMessage) bool {
	for k := range all {
		if !tk.known[k] && tk.lower[strings.ToLower(k)] {
			return true
		}
	}
	return false
}

// decodeExact decodes the typed fields again from the exactly named
// members only.
func decodeExact(all map[string]json.RawMessage, tk *typeKeys, known any) error {
	exact := make(map[string]json.RawMessage, len(tk.known))
	for k, raw := range all {
		if tk.known[k] {
			exact[k] = raw
		}
	}
	b, err := json.Marshal(exact)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, known)
}

// compact drops insignificant whitespace from a valid JSON value.
func compact(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

// encodeWithExtra encodes known, puts back the zeros it left out, then
// adds extra. A key present in extra wins over the known field of the
// same name: that is how a caller writes a value the typed field cannot
// express, such as an explicit null. A zero is only written while its
// field still encodes to nothing.
func encodeWithExtra(known any, extra, zeros map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(known)
	if err != nil || len(extra) == 0 && len(zeros) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, v := range zeros {
		if _, ok := all[k]; !ok {
			all[k] = v
		}
	}
	for k, v := range extra {
		all[k] = v
	}
	return marshalSorted(all)
}

func marshalSorted(m map[string]json.RawMessage) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		v := m[k]
		if len(v) == 0 {
			v = json.RawMessage("null")
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
