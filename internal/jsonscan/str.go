package jsonscan

// Str consumes a string. escaped reports a backslash escape in it: without
// one, and if valid UTF-8, the bytes between the quotes are the value.
func (s *Scanner) Str() (escaped, ok bool) {
	s.Off++
	for s.Off < len(s.Data) {
		switch c := s.Data[s.Off]; {
		case c == '"':
			s.Off++
			return escaped, true
		case c == '\\':
			escaped = true
			if !s.escape() {
				return false, false
			}
		case c < 0x20:
			return false, false
		default:
			s.Off++
		}
	}
	return false, false
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
