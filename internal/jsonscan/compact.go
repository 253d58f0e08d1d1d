package jsonscan

// AppendCompact appends raw, one JSON value with optional whitespace
// around it, without its insignificant whitespace, byte for byte as
// json.Compact does; raw that is compact already is copied as it is.
// ok is false, and dst unchanged, when the Scanner rejects raw: being
// stricter, it leaves encoding/json to decide on that.
func AppendCompact(dst, raw []byte) ([]byte, bool) {
	s := Scanner{Data: raw}
	s.SkipSpace()
	v, ok := s.Value()
	if !ok || !s.End() {
		return dst, false
	}
	if s.spaced == 0 {
		return append(dst, raw...), true
	}
	return StripSpace(dst, v), true
}

// StripSpace appends v, a value the Scanner accepted, without its
// insignificant whitespace, as json.Compact does, without validating it
// again.
func StripSpace(dst, v []byte) []byte {
	inStr, esc := false, false
	for _, c := range v {
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case !inStr && isSpace(c):
			continue
		}
		dst = append(dst, c)
	}
	return dst
}
