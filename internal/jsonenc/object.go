package jsonenc

// AppendKey appends an object member's key and colon, after a comma unless
// it is the first member of the object whose opening brace ends at start
// (len(b) just after the brace). Keys are written as they are: they are
// the encoder's own member names, which need no escaping.
func AppendKey(b []byte, start int, key string) []byte {
	if len(b) > start {
		b = append(b, ',')
	}
	b = append(append(b, '"'), key...)
	return append(b, '"', ':')
}
