package jsonscan

// Number consumes a number as RFC 8259 spells it.
func (s *Scanner) Number() bool {
	if s.Peek() == '-' {
		s.Off++
	}
	switch c := s.Peek(); {
	case c == '0':
		s.Off++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return false
	}
	if s.Peek() == '.' {
		s.Off++
		if !s.digits() {
			return false
		}
	}
	if c := s.Peek(); c == 'e' || c == 'E' {
		s.Off++
		if c := s.Peek(); c == '+' || c == '-' {
			s.Off++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits consumes a run of digits and reports whether there was one.
func (s *Scanner) digits() bool {
	start := s.Off
	for s.Off < len(s.Data) && isDigit(s.Data[s.Off]) {
		s.Off++
	}
	return s.Off > start
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
