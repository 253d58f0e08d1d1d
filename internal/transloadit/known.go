package transloadit

import "unicode/utf8"

// DecodeStatusKnown is DecodeStatus for a caller that already holds some
// of the Assembly's results, such as a watcher that saw them on the update
// stream: a result whose id known reports true for (with the name of its
// Step) may come back holding only its ID, every other member left
// undecoded. The rest of the status, and every other result, is decoded
// as DecodeStatus decodes it; results keep their order and count. A body
// DecodeStatus refuses is refused the same way.
//
// known is only asked about ids that are plain non-empty strings, and is
// called during the call only. A result that is unusual in any way is
// decoded in full, and so is every result of a body the one-pass decoder
// leaves to encoding/json: "may" is all the promise there is.
func DecodeStatusKnown(body []byte, known func(step, id string) bool) (*Status, error) {
	return decodeStatus(body, known)
}

// resultElem decodes one element of a Step's results into f, which must
// be zero: only its id when d.known knows it, else as fileElem does.
func (d *decoder) resultElem(step string, f *File) bool {
	if d.known != nil {
		start := d.Off
		if id, ok := d.knownID(step); ok {
			f.ID = id
			return true
		}
		d.Off = start
	}
	return d.fileElem(f)
}

// knownID scans the file object at the scanner and returns its id when
// d.known knows it, stopping as soon as it knows the answer is no. It
// reports false, leaving Off anywhere in the element,
// for anything a full decode could judge otherwise than this scan: not an
// object, an escaped, unusual or repeated member name, a known member of
// the wrong type, an id that is not a plain string. The scan still
// validates every value, so that skipping the decode never lets through
// a document DecodeStatus refuses.
func (d *decoder) knownID(step string) (string, bool) {
	if d.Peek() != '{' {
		return "", false
	}
	var (
		id   string
		seen uint64 // bit i: field i had its member
	)
	i := 0 // the member's position
	ok := d.Object(func(key []byte, escaped bool) bool {
		name := key[1 : len(key)-1]
		if escaped {
			return false
		}
		f, extraOK := d.lookup(fileKeys, i, name)
		i++
		if f == nil {
			if !extraOK {
				return false
			}
			_, ok := d.Value()
			return ok
		}
		bit := uint64(1) << f.index
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		if f.name == "id" {
			// Asked at once, so that an unknown result, whose id upstream
			// sends first, costs hardly more than its full decode.
			b, ok := d.plainString()
			if !ok || len(b) == 0 {
				return false
			}
			s := string(b)
			if !d.known(step, s) {
				return false
			}
			id = s
			return true
		}
		return d.scanField(f.kind)
	})
	return id, ok && id != ""
}

// plainString consumes a string without escapes, valid UTF-8, and returns
// the bytes between its quotes: the string's value as they are.
func (d *decoder) plainString() ([]byte, bool) {
	start := d.Off
	if d.Peek() != '"' {
		return nil, false
	}
	escaped, ok := d.Str()
	s := d.Data[start+1 : max(start+1, d.Off-1)]
	return s, ok && !escaped && utf8.Valid(s)
}

// scanField consumes the value of a known member if decoding it into its
// field would succeed, as fieldValue would decode it.
func (d *decoder) scanField(kind fieldKind) bool {
	c := d.Peek()
	switch {
	case c == 'n' && (kind == kindString || kind == kindBool || kind == kindInt):
		return d.Literal("null")
	case kind == kindString && c == '"':
		_, ok := d.Str()
		return ok
	case kind == kindBool && c == 't':
		return d.Literal("true")
	case kind == kindBool && c == 'f':
		return d.Literal("false")
	case kind == kindInt && (c == '-' || isDigit(c)):
		start := d.Off
		if !d.Number() {
			return false
		}
		_, ok := parseInt(d.Data[start:d.Off])
		return ok
	case kind == kindRaw:
		_, ok := d.Value()
		return ok
	}
	return false
}
