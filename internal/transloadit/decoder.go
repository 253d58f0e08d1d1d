package transloadit

import (
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tlbridge/tlbridge/internal/jsonscan"
)

// decoder decodes a status, its files and its results in one pass over the
// document. decodeWithExtra parses every object twice, and encoding/json
// scans each nested value again before handing it to its UnmarshalJSON,
// which for a status of 1,000 results meant a dozen passes over the bytes.
//
// The decoder only takes documents whose meaning it is sure of. It gives
// up on anything else (a malformed or unusual document, a repeated member,
// a member that differs from a known one only in case), and the caller then
// decodes that object with encoding/json and decodeWithExtra, so the
// subtle cases and every error message are theirs.
type decoder struct {
	jsonscan.Scanner
	names map[string]string // so the results of a status share one copy of each member name

	// kept is scratch for decodeStruct, used as a stack: each object
	// appends after what its enclosing objects kept, and truncates back.
	kept []kept
	// alias lets kept members that need no compacting point into the
	// document instead of being copied: for a small document the caller
	// keeps anyway, such as an update stream's payload.
	alias bool
	// known, when set, names the results the caller holds already: those
	// are scanned, not decoded (see DecodeStatusKnown).
	known func(step, id string) bool
	// fileNames are the member names of the last file object, in order,
	// with what looking each up gave (see lookup).
	fileNames []memoName
}

// memoName is one member name of a file object and what it names.
type memoName struct {
	name    string
	field   *field // nil when the name is not a field
	extraOK bool   // not a field, and fit to keep as an extra member
}

// maxMemoNames bounds the names remembered: a file has about 35.
const maxMemoNames = 64

// newDecoder returns a decoder of data from the pool; release hands it
// back. Each one would otherwise grow its kept scratch from nothing, a few
// KiB of garbage for every file decoded, and intern the same member names
// again.
func newDecoder(data []byte) *decoder {
	d := decoders.Get().(*decoder)
	d.Scanner = jsonscan.Scanner{Data: data}
	return d
}

var decoders = sync.Pool{New: func() any { return new(decoder) }}

// maxInterned bounds the member names a pooled decoder keeps: hostile
// documents could otherwise make it hold any number.
const maxInterned = 256

// release hands d back to the pool. Its scratch is cleared, so that it
// holds on to no document; nothing it decoded points into it.
func (d *decoder) release() {
	clear(d.kept[:cap(d.kept)])
	d.kept = d.kept[:0]
	if len(d.names) > maxInterned {
		d.names = nil
	}
	d.Scanner, d.alias, d.known = jsonscan.Scanner{}, false, nil
	decoders.Put(d)
}

// status decodes a document that is one status object into st, which must
// be zero. On false, st holds garbage.
func (d *decoder) status(st *Status) bool {
	d.SkipSpace()
	extra, zeros, ok := d.decodeStruct(reflect.ValueOf((*statusFields)(st)).Elem(), statusKeys)
	if !ok || !d.End() {
		return false
	}
	st.Extra, st.zeros = extra, zeros
	return true
}

// file decodes a file object into f, which must be zero, with the
// adjustments File.UnmarshalJSON makes. On false, f holds garbage.
func (d *decoder) file(f *File) bool {
	extra, zeros, ok := d.decodeStruct(reflect.ValueOf((*fileFields)(f)).Elem(), fileKeys)
	if !ok {
		return false
	}
	f.Extra, f.zeros = extra, zeros
	if string(f.Meta) == "null" {
		f.Meta = nil
		f.setExtra("meta", json.RawMessage("null"))
	}
	return true
}

// fileElem decodes one element of an array of files into f, which must be
// zero. An element the decoder does not take is decoded from its bytes by
// File.unmarshalSlow, as encoding/json would have, so that one odd file
// does not cost the whole status its single pass.
func (d *decoder) fileElem(f *File) bool {
	start := d.Off
	if d.file(f) {
		return true
	}
	d.Off = start
	raw, ok := d.Value()
	if !ok {
		return false
	}
	*f = File{}
	return f.unmarshalSlow(raw) == nil
}

// files decodes an array of files, or null, into *p, which must be nil.
func (d *decoder) files(p *[]File) bool {
	return d.fileArray(p, d.fileElem)
}

// stepResults decodes the results of a Step, as files does.
func (d *decoder) stepResults(step string, p *[]File) bool {
	return d.fileArray(p, func(f *File) bool { return d.resultElem(step, f) })
}

func (d *decoder) fileArray(p *[]File, elem func(*File) bool) bool {
	if d.Peek() == 'n' {
		return d.Literal("null")
	}
	files := []File{}
	ok := d.Array(func() bool {
		files = append(files, File{})
		return elem(&files[len(files)-1])
	})
	*p = files
	return ok
}

// results decodes a results object, or null, into r, which must be zero,
// as Results.unmarshalSlow does.
func (d *decoder) results(r *Results) bool {
	if d.Peek() == 'n' {
		return d.Literal("null")
	}
	var order []string
	steps := make(map[string][]File)
	ok := d.Object(func(key []byte, escaped bool) bool {
		step, ok := d.name(key, escaped)
		if !ok {
			return false
		}
		var files []File
		ok = d.stepResults(step, &files)
		if _, dup := steps[step]; !dup {
			order = append(order, step)
		}
		steps[step] = files
		return ok
	})
	if ok {
		*r = Results{order: order, steps: steps}
	}
	return ok
}

// commonNames are member names upstream sends in nearly every file that
// the model keeps in Extra: looking them up here spares a decode of one
// file (an update-stream event) its own table and a copy of each name.
var commonNames = func() map[string]string {
	m := make(map[string]string)
	for _, s := range []string{
		"queue", "queue_time", "queueTime", "exec_time", "execTime", "cost", "user_meta", "as",
		"is_temp_url", "import_url", "signed_url", "signed_ssl_url", "remote_path", "is_state_valid",
	} {
		m[s] = s
	}
	return m
}()

// name returns the value of a member's key.
func (d *decoder) name(key []byte, escaped bool) (string, bool) {
	s := key[1 : len(key)-1]
	if !escaped && utf8.Valid(s) {
		return d.intern(s), true
	}
	var name string
	err := json.Unmarshal(key, &name)
	return name, err == nil
}

func (d *decoder) intern(b []byte) string {
	if s, ok := commonNames[string(b)]; ok {
		return s
	}
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	if d.names == nil {
		d.names = make(map[string]string)
	}
	s := string(b)
	d.names[s] = s
	return s
}

// kept is a member whose bytes the decoded value holds on to: an unknown
// member for Extra, a named one that decoded to a zero value for zeros, or
// the value of a kindRaw field.
type kept struct {
	name   string
	raw    []byte
	spaced bool // raw has whitespace to strip; upstream's JSON rarely does
	to     keptIn
	index  int // of the field, for keptField
}

type keptIn uint8 // small, so that spaced fits in kept without growing it

const (
	keptExtra keptIn = iota
	keptZero
	keptField
)

// decodeStruct decodes the object at the scanner into v, a zero struct
// described by tk, and returns what decodeWithExtra returns.
func (d *decoder) decodeStruct(v reflect.Value, tk *typeKeys) (extra, zeros map[string]json.RawMessage, ok bool) {
	if tk.fields == nil {
		return nil, nil, false
	}
	var seen uint64 // bit i: field i had its member
	mark := len(d.kept)
	defer func() { d.kept = d.kept[:mark] }()
	i := 0 // the member's position
	ok = d.Object(func(key []byte, escaped bool) bool {
		name := key[1 : len(key)-1]
		if escaped {
			s, ok := d.name(key, escaped)
			if !ok {
				return false
			}
			name = []byte(s)
		}
		f, extraOK := d.lookup(tk, i, name)
		i++
		if f != nil {
			bit := uint64(1) << f.index
			if seen&bit != 0 {
				return false // a repeated member: encoding/json merges the values in ways best left to it
			}
			seen |= bit
			return d.field(v.Field(f.index), f)
		}
		if !extraOK {
			return false
		}
		spaced := d.Spaced()
		raw, ok := d.Value()
		d.kept = append(d.kept, kept{name: d.intern(name), raw: raw, spaced: d.Spaced() != spaced, to: keptExtra})
		return ok
	})
	if !ok {
		return nil, nil, false
	}
	extra, zeros = store(v, d.kept[mark:], d.alias)
	return extra, zeros, true
}

// lookup returns the field of tk that the member name at position i
// names, or nil and whether the member may be kept as an extra one: ASCII,
// and no field's name when case is ignored (such a document is left to
// decodeWithExtra, which has the rules for it). The results of a status
// nearly always name the same members in the same order, so for a file
// the name is first compared with the one at the same position in the
// last file: two map lookups a member were a fifth of decoding a status.
func (d *decoder) lookup(tk *typeKeys, i int, name []byte) (f *field, extraOK bool) {
	memo := tk == fileKeys
	if memo && i < len(d.fileNames) && d.fileNames[i].name == string(name) {
		m := d.fileNames[i]
		return m.field, m.extraOK
	}
	f = tk.fields[string(name)]
	extraOK = f == nil && isASCII(name) && !tk.foldsToKnown(name)
	if memo && i <= len(d.fileNames) && i < maxMemoNames {
		m := memoName{field: f, extraOK: extraOK}
		switch {
		case f != nil:
			m.name = f.name
		case extraOK:
			m.name = d.intern(name) // kept as an extra member's name anyway
		default:
			return f, extraOK // the object is left to the slow path
		}
		d.fileNames = append(d.fileNames[:i], m)
	}
	return f, extraOK
}

// field decodes the value of a known member into its field fv.
func (d *decoder) field(fv reflect.Value, f *field) bool {
	start, spaced := d.Off, d.Spaced()
	if !d.fieldValue(fv, f.kind) {
		return false
	}
	k := kept{raw: d.Data[start:d.Off], spaced: d.Spaced() != spaced}
	switch {
	case f.kind == kindRaw:
		k.to, k.index = keptField, f.index
		d.kept = append(d.kept, k)
	case f.omittable && fv.IsZero():
		k.to, k.name = keptZero, f.name
		d.kept = append(d.kept, k)
	}
	return true
}

func (d *decoder) fieldValue(fv reflect.Value, kind fieldKind) bool {
	c := d.Peek()
	switch {
	case kind == kindString && c == '"':
		return d.stringField(fv)
	case kind == kindBool && c == 't':
		fv.SetBool(true)
		return d.Literal("true")
	case kind == kindBool && c == 'f':
		return d.Literal("false")
	case kind == kindInt && (c == '-' || isDigit(c)):
		return d.intField(fv)
	case (kind == kindString || kind == kindBool || kind == kindInt) && c == 'n':
		return d.Literal("null") // encoding/json leaves a non-pointer field alone on null
	case kind == kindRaw:
		_, ok := d.Value() // stored once the object is done
		return ok
	case kind == kindFiles:
		return d.files(fv.Addr().Interface().(*[]File))
	case kind == kindResults:
		return d.results(fv.Addr().Interface().(*Results))
	}
	raw, ok := d.Value()
	return ok && json.Unmarshal(raw, fv.Addr().Interface()) == nil
}

func (d *decoder) stringField(fv reflect.Value) bool {
	start := d.Off
	escaped, ok := d.Str()
	if !ok {
		return false
	}
	raw := d.Data[start:d.Off]
	if s := raw[1 : len(raw)-1]; !escaped && utf8.Valid(s) {
		fv.SetString(string(s))
		return true
	}
	return json.Unmarshal(raw, fv.Addr().Interface()) == nil
}

func (d *decoder) intField(fv reflect.Value) bool {
	start := d.Off
	if !d.Number() {
		return false
	}
	raw := d.Data[start:d.Off]
	if n, ok := parseInt(raw); ok && !fv.OverflowInt(n) {
		fv.SetInt(n)
		return true
	}
	return json.Unmarshal(raw, fv.Addr().Interface()) == nil
}

// parseInt parses an integer of at most 18 digits, which cannot overflow
// an int64; anything else is left to encoding/json.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// store copies the kept members, compacted, into one buffer for the whole
// object, so a file costs one allocation for them rather than one each,
// and none of them aliases the document. With alias, a member that needs
// no compacting is not copied but points into the document.
func store(v reflect.Value, keep []kept, alias bool) (extra, zeros map[string]json.RawMessage) {
	n, nExtra, nZeros := 0, 0, 0
	for _, k := range keep {
		if !alias || k.spaced {
			n += len(k.raw)
		}
		switch k.to {
		case keptExtra:
			nExtra++
		case keptZero:
			nZeros++
		}
	}
	if nExtra > 0 {
		extra = make(map[string]json.RawMessage, nExtra)
	}
	if nZeros > 0 {
		zeros = make(map[string]json.RawMessage, nZeros)
	}
	var buf []byte
	if n > 0 {
		buf = make([]byte, 0, n)
	}
	for _, k := range keep {
		var raw json.RawMessage
		switch start := len(buf); {
		case alias && !k.spaced:
			raw = k.raw
		case k.spaced:
			buf = jsonscan.StripSpace(buf, k.raw)
			raw = buf[start:]
		default:
			buf = append(buf, k.raw...)
			raw = buf[start:]
		}
		raw = raw[:len(raw):len(raw)] // full, so appending to one value never overwrites the next
		switch k.to {
		case keptExtra:
			extra[k.name] = raw
		case keptZero:
			zeros[k.name] = raw
		case keptField:
			v.Field(k.index).SetBytes(raw)
		}
	}
	return extra, zeros
}

// field is a struct field the one-pass decoder fills.
type field struct {
	name      string
	index     int
	omittable bool
	kind      fieldKind
}

// fieldKind says how the one-pass decoder reads a field's value. For
// anything but a plain literal of the expected type it falls back to
// encoding/json on the value's bytes, so the kinds only add shortcuts.
type fieldKind int

const (
	kindOther   fieldKind = iota // encoding/json, from the value's bytes
	kindString                   // a string kind without custom decoding
	kindBool                     // a bool kind without custom decoding
	kindInt                      // a signed integer kind without custom decoding
	kindRaw                      // json.RawMessage, kept compacted
	kindFiles                    // []File
	kindResults                  // Results
)

// fieldsMax is how many fields the one-pass decoder tracks in its bit set
// of members seen.
const fieldsMax = 64

var (
	fileKeys   = keysOf(reflect.TypeFor[fileFields]())
	statusKeys = keysOf(reflect.TypeFor[statusFields]())
)

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func kindOf(t reflect.Type, opts string) fieldKind {
	switch t {
	case reflect.TypeFor[json.RawMessage]():
		return kindRaw
	case reflect.TypeFor[[]File]():
		return kindFiles
	case reflect.TypeFor[Results]():
		return kindResults
	}
	p := reflect.PointerTo(t)
	if slices.Contains(strings.Split(opts, ","), "string") || p.Implements(unmarshalerType) || p.Implements(textUnmarshalerType) {
		return kindOther
	}
	switch t.Kind() {
	case reflect.String:
		return kindString
	case reflect.Bool:
		return kindBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kindInt
	}
	return kindOther
}

// foldsToKnown reports whether an unknown ASCII name equals a known one
// when case is ignored, as encoding/json matches names. Such a document is
// left to decodeWithExtra, which has the rules for it.
func (tk *typeKeys) foldsToKnown(name []byte) bool {
	var buf [32]byte
	if len(name) > tk.longest {
		return false
	}
	if len(name) > len(buf) {
		return true // cannot tell without allocating; decodeWithExtra can
	}
	lower := buf[:len(name)]
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	return tk.lower[string(lower)]
}
