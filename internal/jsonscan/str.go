package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// Str consumes a string. escaped reports a backslash escape in it: without
// one, and if valid UTF-8, the bytes between the quotes are the value.
// Like encoding/json, it does not check the UTF-8.
func (s *Scanner) Str() (escaped, ok bool) {
	s.Off++
	for {
		s.Off += ordinary(s.Data[s.Off:])
		if s.Off == len(s.Data) {
			return false, false
		}
		switch s.Data[s.Off] {
		case '"':
			s.Off++
			return escaped, true
		case '\\':
			escaped = true
			if !s.escape() {
				return false, false
			}
		default: // a control character
			return false, false
		}
	}
}

// ordinary returns the length of the run of bytes at the start of b that
// a string holds as they are: none is '"', '\\' or below 0x20.
func ordinary(b []byte) int { return plainRun(b, false) }

// plainRun returns the length of the run at the start of s without '"',
// '\\', bytes below 0x20 and, when ascii is set, bytes of 0x80 and above.
// It tests eight bytes at a time while it can, strings being mostly such
// runs.
func plainRun[S ~string | ~[]byte](s S, ascii bool) int {
	var high uint64 // the high bits that stop the run too
	if ascii {
		high = highs
	}
	n := 0
	for ; n+8 <= len(s); n += 8 {
		w := binary.LittleEndian.Uint64([]byte(s[n : n+8]))
		// special's lowest mark is right, and a byte of 0x80 or above is
		// marked by its own high bit: the lowest of either is the first
		// byte to stop at.
		if m := special(w) | w&high; m != 0 {
			return n + bits.TrailingZeros64(m)/8
		}
	}
	for ; n < len(s); n++ {
		if c := s[n]; c == '"' || c == '\\' || c < 0x20 || ascii && c >= 0x80 {
			break
		}
	}
	return n
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special marks with its high bit each byte of w, read little-endian,
// that is '"', '\\' or below 0x20. Only the lowest mark is sure to be
// right: a subtraction borrows only at a byte rightly marked, from the
// byte above it. Masking with ^w leaves bytes >= 0x80 unmarked; xoring
// with '"' or '\\' leaves each byte's high bit as it was.
func special(w uint64) uint64 {
	quote := w ^ ones*'"'
	backslash := w ^ ones*'\\'
	return ((w - ones*0x20) | (quote - ones) | (backslash - ones)) &^ w & highs
}

func (s *Scanner) escape() bool {
	if s.Off+1 >= len(s.Data) {
		return false
	}
	switch s.Data[s.Off+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.Off += 2
		return true
	case 'u':
		if s.Off+6 > len(s.Data) {
			return false
		}
		for _, c := range s.Data[s.Off+2 : s.Off+6] {
			if !isHex(c) {
				return false
			}
		}
		s.Off += 6
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
