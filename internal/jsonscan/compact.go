package jsonscan

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
		case !inStr && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			continue
		}
		dst = append(dst, c)
	}
	return dst
}
