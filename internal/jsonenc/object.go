package jsonenc

import "strconv"

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

// The members below are left out when their value is empty, as omitempty
// does; start is as for AppendKey, and 0 for a member that always follows
// another.

// StringMember appends key and v, unless v is "".
func StringMember(b []byte, start int, key, v string) []byte {
	if v == "" {
		return b
	}
	return AppendString(AppendKey(b, start, key), v)
}

// TrueMember appends key and true, unless v is false.
func TrueMember(b []byte, start int, key string, v bool) []byte {
	if !v {
		return b
	}
	return append(AppendKey(b, start, key), "true"...)
}

// IntMember appends key and v, unless v is 0.
func IntMember(b []byte, start int, key string, v int64) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendInt(AppendKey(b, start, key), v, 10)
}

// StringsMember appends key and vs as an array, unless vs is empty.
func StringsMember(b []byte, start int, key string, vs []string) []byte {
	if len(vs) == 0 {
		return b
	}
	b = append(AppendKey(b, start, key), '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, v)
	}
	return append(b, ']')
}
