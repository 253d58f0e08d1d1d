package jsonscan

import (
	"bytes"
	"testing"
)

// strByByte is Str as it was before it read eight bytes at a time, kept
// to hold the fast loop to.
func strByByte(data []byte, off int) (end int, escaped, ok bool) {
	s := Scanner{Data: data, Off: off + 1}
	for s.Off < len(s.Data) {
		switch c := s.Data[s.Off]; {
		case c == '"':
			return s.Off + 1, escaped, true
		case c == '\\':
			escaped = true
			if !s.escape() {
				return s.Off, false, false
			}
		case c < 0x20:
			return s.Off, false, false
		default:
			s.Off++
		}
	}
	return s.Off, false, false
}

func checkStr(t *testing.T, data []byte) {
	t.Helper()
	s := Scanner{Data: data}
	escaped, ok := s.Str()
	end, wantEscaped, wantOK := strByByte(data, 0)
	if ok != wantOK || escaped != wantEscaped || ok && s.Off != end {
		t.Fatalf("Str(%q) = %v, %v, off %d; want %v, %v, off %d", data, escaped, ok, s.Off, wantEscaped, wantOK, end)
	}
}

// fillers are bytes a string holds as they are, the ones next to the
// special bytes among them.
var fillers = []byte{'a', ' ', '!', '#', '[', ']', 0x7f, 0x80, 0xa2, 0xdc, 0xc3, 0xff}

// TestStrSpecialByteAtEveryOffset puts each byte a string treats apart at
// every offset of strings that end within, at and past a word, with and
// without a document going on after the string.
func TestStrSpecialByteAtEveryOffset(t *testing.T) {
	specials := [][]byte{{'"'}, {'\\', 'n'}, {'\\', 'u', '0', '0', 'e', '9'}, {'\\', 'x'}, {'\\'}, {0x00}, {0x1f}, {'\n'}}
	for _, filler := range fillers {
		for _, sp := range specials {
			for at := 0; at <= 16; at++ {
				for tail := 0; tail <= 17; tail++ {
					data := []byte{'"'}
					data = append(data, bytes.Repeat([]byte{filler}, at)...)
					data = append(data, sp...)
					data = append(data, bytes.Repeat([]byte{filler}, tail)...)
					checkStr(t, data)
					checkStr(t, append(data, '"'))
					checkStr(t, append(data, `", "x": [1, 2, 3, 4, 5, 6, 7, 8]`...))
				}
			}
		}
	}
}

// TestStrLengths reads plain strings of lengths across word boundaries.
func TestStrLengths(t *testing.T) {
	for _, filler := range fillers {
		for n := 0; n <= 33; n++ {
			body := bytes.Repeat([]byte{filler}, n)
			for _, after := range []string{"", ",", `,"next":"value"}`} {
				data := append(append(append([]byte{'"'}, body...), '"'), after...)
				s := Scanner{Data: data}
				if escaped, ok := s.Str(); !ok || escaped || s.Off != n+2 {
					t.Fatalf("Str(%q) = %v, %v, off %d; want a string of %d bytes", data, escaped, ok, s.Off, n)
				}
			}
		}
	}
}

// TestOrdinary checks every byte value at every offset of runs shorter
// than, as long as and longer than a word.
func TestOrdinary(t *testing.T) {
	checkRuns(t, "ordinary", ordinary, func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 })
}

// checkRuns checks that run finds where a run of 'a's stops at a byte stop
// is true of, for every byte value at every offset of runs shorter than,
// as long as and longer than a word.
func checkRuns(t *testing.T, name string, run func([]byte) int, stop func(byte) bool) {
	t.Helper()
	for n := 1; n <= 17; n++ {
		for at := range n {
			for c := range 256 {
				b := bytes.Repeat([]byte{'a'}, n)
				b[at] = byte(c)
				want := n
				if stop(byte(c)) {
					want = at
				}
				if got := run(b); got != want {
					t.Fatalf("%s(%q) = %d; want %d", name, b, got, want)
				}
			}
		}
	}
}

func FuzzStrMatchesByteLoop(f *testing.F) {
	for _, s := range []string{`"plain"`, `"a\"b"`, `"\u00e9\n"`, "\"\x01\"", "\"\xff\xfe\"", `"unterminated`, `"0123456789abcdef\\`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkStr(t, append([]byte{'"'}, data...))
	})
}

// TestPlainASCII checks every byte value at every offset of runs shorter
// than, as long as and longer than a word.
func TestPlainASCII(t *testing.T) {
	checkRuns(t, "PlainASCII", func(b []byte) int { return PlainASCII(string(b)) },
		func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 })
}
