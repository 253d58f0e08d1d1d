package transloadit

import "bytes"

// maxScanDepth bounds the nesting the scanner follows. encoding/json allows
// 10000; staying below it means the scanner never accepts a document
// encoding/json rejects, and anything deeper takes the encoding/json path.
const maxScanDepth = 1000

// scanner walks one JSON document in a single pass, validating it as it
// goes, so that decoding a status does not parse the same bytes once per
// level of nesting. It is as strict as encoding/json or stricter: a
// document it rejects may still be valid, and is then handed to
// encoding/json, which decides.
type scanner struct {
	data  []byte
	off   int
	depth int
}

// skipSpace skips insignificant whitespace.
func (s *scanner) skipSpace() {
	for s.off < len(s.data) {
		switch s.data[s.off] {
		case ' ', '\t', '\n', '\r':
			s.off++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	if s.off < len(s.data) {
		return s.data[s.off]
	}
	return 0
}

// end reports whether only whitespace is left.
func (s *scanner) end() bool {
	s.skipSpace()
	return s.off == len(s.data)
}

// value consumes one value and returns its bytes.
func (s *scanner) value() (raw []byte, ok bool) {
	start := s.off
	switch c := s.peek(); {
	case c == '"':
		_, ok = s.str()
	case c == '{':
		ok = s.object(func([]byte, bool) bool {
			_, ok := s.value()
			return ok
		})
	case c == '[':
		ok = s.array(func() bool {
			_, ok := s.value()
			return ok
		})
	case c == 't':
		ok = s.literal("true")
	case c == 'f':
		ok = s.literal("false")
	case c == 'n':
		ok = s.literal("null")
	default:
		ok = s.number()
	}
	return s.data[start:s.off], ok
}

// object consumes an object, calling member with each key (quotes
// included; escaped reports a backslash in it) when the scanner is at the
// start of the member's value. member must consume the value.
func (s *scanner) object(member func(key []byte, escaped bool) bool) bool {
	if s.peek() != '{' || s.depth >= maxScanDepth {
		return false
	}
	s.off++
	s.depth++
	s.skipSpace()
	if s.peek() == '}' {
		s.off++
		s.depth--
		return true
	}
	for {
		start := s.off
		if s.peek() != '"' {
			return false
		}
		escaped, ok := s.str()
		if !ok {
			return false
		}
		key := s.data[start:s.off]
		s.skipSpace()
		if s.peek() != ':' {
			return false
		}
		s.off++
		s.skipSpace()
		if !member(key, escaped) {
			return false
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.off++
			s.skipSpace()
		case '}':
			s.off++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// array consumes an array, calling elem at the start of each element.
// elem must consume the element.
func (s *scanner) array(elem func() bool) bool {
	if s.peek() != '[' || s.depth >= maxScanDepth {
		return false
	}
	s.off++
	s.depth++
	s.skipSpace()
	if s.peek() == ']' {
		s.off++
		s.depth--
		return true
	}
	for {
		if !elem() {
			return false
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.off++
			s.skipSpace()
		case ']':
			s.off++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// str consumes a string. escaped reports a backslash escape in it: without
// one, and if valid UTF-8, the bytes between the quotes are the value.
func (s *scanner) str() (escaped, ok bool) {
	s.off++
	for s.off < len(s.data) {
		switch c := s.data[s.off]; {
		case c == '"':
			s.off++
			return escaped, true
		case c == '\\':
			escaped = true
			if !s.escape() {
				return false, false
			}
		case c < 0x20:
			return false, false
		default:
			s.off++
		}
	}
	return false, false
}

func (s *scanner) escape() bool {
	if s.off+1 >= len(s.data) {
		return false
	}
	switch s.data[s.off+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.off += 2
		return true
	case 'u':
		if s.off+6 > len(s.data) {
			return false
		}
		for _, c := range s.data[s.off+2 : s.off+6] {
			if !isHex(c) {
				return false
			}
		}
		s.off += 6
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (s *scanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.data[s.off:], []byte(lit)) {
		return false
	}
	s.off += len(lit)
	return true
}

// number consumes a number as RFC 8259 spells it.
func (s *scanner) number() bool {
	if s.peek() == '-' {
		s.off++
	}
	switch c := s.peek(); {
	case c == '0':
		s.off++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return false
	}
	if s.peek() == '.' {
		s.off++
		if !s.digits() {
			return false
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.off++
		if c := s.peek(); c == '+' || c == '-' {
			s.off++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits consumes a run of digits and reports whether there was one.
func (s *scanner) digits() bool {
	start := s.off
	for s.off < len(s.data) && isDigit(s.data[s.off]) {
		s.off++
	}
	return s.off > start
}

// appendCompact appends a valid JSON value without its insignificant
// whitespace, as json.Compact does, without validating it again.
func appendCompact(dst, v []byte) []byte {
	inStr, esc := false, false
	for _, c := range v {
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case !inStr && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			continue
		}
		dst = append(dst, c)
	}
	return dst
}
