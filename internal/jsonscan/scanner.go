// Package jsonscan walks a JSON document in a single pass, validating it
// as it goes, for decoders that would otherwise have encoding/json scan
// the same bytes once per level of nesting.
package jsonscan

import "bytes"

// maxDepth bounds the nesting the scanner follows. encoding/json allows
// 10000; staying below it means the scanner never accepts a document
// encoding/json rejects, and anything deeper takes the encoding/json path.
const maxDepth = 1000

// Scanner walks one JSON document. It is as strict as encoding/json or
// stricter: a document it rejects may still be valid, and is then handed
// to encoding/json, which decides.
//
// A method that fails leaves Off somewhere inside what it was reading.
// The nesting it counts is restored either way, so a caller may set Off
// back and read the same bytes again another way.
type Scanner struct {
	Data   []byte // the document
	Off    int    // where the next read starts
	depth  int
	spaced int
}

// SkipSpace skips insignificant whitespace.
func (s *Scanner) SkipSpace() {
	i := s.Off
	for i < len(s.Data) && isSpace(s.Data[i]) {
		i++
	}
	if i > s.Off {
		s.Off = i
		s.spaced++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Spaced counts the runs of insignificant whitespace skipped so far. A
// value read while it stays the same has none: its bytes are already
// compact and can be copied as they are.
func (s *Scanner) Spaced() int { return s.spaced }

// Peek returns the next byte, 0 at the end.
func (s *Scanner) Peek() byte {
	if s.Off < len(s.Data) {
		return s.Data[s.Off]
	}
	return 0
}

// End reports whether only whitespace is left.
func (s *Scanner) End() bool {
	s.SkipSpace()
	return s.Off == len(s.Data)
}

// Value consumes one value and returns its bytes.
func (s *Scanner) Value() (raw []byte, ok bool) {
	start := s.Off
	switch c := s.Peek(); {
	case c == '"':
		_, ok = s.Str()
	case c == '{':
		ok = s.Object(func([]byte, bool) bool {
			_, ok := s.Value()
			return ok
		})
	case c == '[':
		ok = s.Array(func() bool {
			_, ok := s.Value()
			return ok
		})
	case c == 't':
		ok = s.Literal("true")
	case c == 'f':
		ok = s.Literal("false")
	case c == 'n':
		ok = s.Literal("null")
	default:
		ok = s.Number()
	}
	return s.Data[start:s.Off], ok
}

// Object consumes an object, calling member with each key (quotes
// included; escaped reports a backslash in it) when the scanner is at the
// start of the member's value. member must consume the value.
func (s *Scanner) Object(member func(key []byte, escaped bool) bool) bool {
	if s.Peek() != '{' || s.depth >= maxDepth {
		return false
	}
	s.Off++
	s.depth++
	ok := s.members(member)
	s.depth--
	return ok
}

func (s *Scanner) members(member func(key []byte, escaped bool) bool) bool {
	s.SkipSpace()
	if s.Peek() == '}' {
		s.Off++
		return true
	}
	for {
		start := s.Off
		if s.Peek() != '"' {
			return false
		}
		escaped, ok := s.Str()
		if !ok {
			return false
		}
		key := s.Data[start:s.Off]
		s.SkipSpace()
		if s.Peek() != ':' {
			return false
		}
		s.Off++
		s.SkipSpace()
		if !member(key, escaped) {
			return false
		}
		s.SkipSpace()
		switch s.Peek() {
		case ',':
			s.Off++
			s.SkipSpace()
		case '}':
			s.Off++
			return true
		default:
			return false
		}
	}
}

// Array consumes an array, calling elem at the start of each element.
// elem must consume the element.
func (s *Scanner) Array(elem func() bool) bool {
	if s.Peek() != '[' || s.depth >= maxDepth {
		return false
	}
	s.Off++
	s.depth++
	ok := s.elems(elem)
	s.depth--
	return ok
}

func (s *Scanner) elems(elem func() bool) bool {
	s.SkipSpace()
	if s.Peek() == ']' {
		s.Off++
		return true
	}
	for {
		if !elem() {
			return false
		}
		s.SkipSpace()
		switch s.Peek() {
		case ',':
			s.Off++
			s.SkipSpace()
		case ']':
			s.Off++
			return true
		default:
			return false
		}
	}
}

// Literal consumes lit, one of true, false and null.
func (s *Scanner) Literal(lit string) bool {
	if !bytes.HasPrefix(s.Data[s.Off:], []byte(lit)) {
		return false
	}
	s.Off += len(lit)
	return true
}
