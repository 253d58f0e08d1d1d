package schemas

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Bounds of a subject. NATS refuses a protocol line longer than 4 KiB
// (max_control_line) and closes the connection for good, so no name from
// upstream may make a subject unbounded: escaping alone turns one byte
// into three.
const (
	// MaxTokenLen is the longest token [StepToken] returns.
	MaxTokenLen = 128
	// MaxPrefixLen is the longest subject prefix a bridge accepts.
	MaxPrefixLen = 128
	// MaxSubjectLen bounds every subject [Subject] builds from a prefix of
	// at most MaxPrefixLen bytes.
	MaxSubjectLen = MaxPrefixLen + len(".v1.assemblies.") + MaxTokenLen +
		len(".steps.") + MaxTokenLen + len(".result")
)

// hashMark separates a hashed token's readable part from its hash. It
// never appears in an escaped name ("~" escapes to %7E), so a hashed token
// cannot be mistaken for a name.
const hashMark = '~'

// hashHexLen is the length of the hash part: SHA-256 in lower-case hex.
const hashHexLen = 2 * sha256.Size

// readableLen bounds the readable part of a hashed token.
const readableLen = MaxTokenLen - 1 - hashHexLen

// StepToken returns the subject token of a Step name. It is
// [EscapeToken](step) when that is at most [MaxTokenLen] bytes. A longer
// name gets a hashed token: the start of its escaped form (at most 63
// bytes, never cutting a %XX escape), "~", and the lower-case hex SHA-256
// of the raw name. The token is stable (the same name always gives the
// same token), readable (it starts like the name), and distinct names
// give distinct tokens (short ones are reversible, long ones differ in
// their hash). The event data keeps the full name.
func StepToken(step string) string {
	tok := EscapeToken(step)
	if len(tok) <= MaxTokenLen {
		return tok
	}
	sum := sha256.Sum256([]byte(step))
	return tok[:escapeBoundary(tok, readableLen)] + string(hashMark) + hex.EncodeToString(sum[:])
}

// escapeBoundary returns the largest cut <= n that does not split a %XX
// escape of tok. Every "%" in an escaped token starts a triple.
func escapeBoundary(tok string, n int) int {
	switch {
	case tok[n-1] == '%':
		return n - 1
	case tok[n-2] == '%':
		return n - 2
	}
	return n
}

// hashedToken reports whether tok has the form StepToken gives a long
// name: a canonical escaped start, "~", and 64 lower-case hex digits.
func hashedToken(tok string) bool {
	readable, sum, ok := strings.Cut(tok, string(hashMark))
	if !ok || readable == "" || len(readable) > readableLen || len(sum) != hashHexLen {
		return false
	}
	for i := 0; i < len(sum); i++ {
		if c := sum[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	_, err := UnescapeToken(readable)
	return err == nil
}
