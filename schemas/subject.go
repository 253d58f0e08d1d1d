package schemas

import (
	"fmt"
	"strings"
)

// DefaultPrefix is the subject prefix when none is configured.
const DefaultPrefix = "transloadit"

// emptyToken stands for the empty string. EscapeToken never produces a
// lone "%" for anything else (every "%" it writes starts a %XX triple).
const emptyToken = "%"

const upperHex = "0123456789ABCDEF"

// tokenSafe reports the bytes EscapeToken keeps as they are.
func tokenSafe(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '-'
}

// EscapeToken turns any string (a Step name, even invalid UTF-8) into one
// NATS subject token, reversibly: bytes outside [A-Za-z0-9_:-] become %XX
// (upper-case hex), so ".", "*", ">", "%", whitespace and non-printables can
// never split or widen a subject. The empty string becomes "%". Names made
// of safe bytes only (Transloadit Assembly IDs, most Step names) come back
// unchanged.
func EscapeToken(s string) string {
	if s == "" {
		return emptyToken
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !tokenSafe(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if tokenSafe(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
	return b.String()
}

// UnescapeToken inverts [EscapeToken]. It accepts only what EscapeToken
// produces (canonical escapes), so every token maps to exactly one name;
// anything else wraps [ErrInvalidToken].
func UnescapeToken(tok string) (string, error) {
	if tok == emptyToken {
		return "", nil
	}
	if tok == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidToken)
	}
	if !strings.Contains(tok, "%") {
		for i := 0; i < len(tok); i++ {
			if !tokenSafe(tok[i]) {
				return "", fmt.Errorf("%w: %q: byte %#x must be escaped", ErrInvalidToken, tok, tok[i])
			}
		}
		return tok, nil
	}
	var b strings.Builder
	b.Grow(len(tok))
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if tokenSafe(c) {
			b.WriteByte(c)
			continue
		}
		if c != '%' || i+2 >= len(tok) {
			return "", fmt.Errorf("%w: %q at %d", ErrInvalidToken, tok, i)
		}
		hi, lo := unhex(tok[i+1]), unhex(tok[i+2])
		if hi < 0 || lo < 0 || tokenSafe(byte(hi<<4|lo)) {
			return "", fmt.Errorf("%w: %q at %d", ErrInvalidToken, tok, i)
		}
		b.WriteByte(byte(hi<<4 | lo))
		i += 2
	}
	return b.String(), nil
}

// unhex decodes one upper-case hex digit, -1 for anything else.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// Subject returns the NATS subject of an event:
// "<prefix>.v1.assemblies.<assembly id>.<suffix>", where the suffix is the
// event type ("upload.finished", "completed", ...) except that a step
// result is "steps.<step>.result". The Assembly ID and step name become
// tokens with [StepToken]'s rule (escaped, and hashed past [MaxTokenLen]);
// step is ignored for other types. An empty prefix means [DefaultPrefix].
// The prefix is used as given: it may span several tokens
// ("acme.transloadit") and must be a valid subject itself. With a prefix
// of at most [MaxPrefixLen] bytes the subject is at most [MaxSubjectLen]
// bytes, whatever the step name.
func Subject(prefix, assemblyID string, t Type, step string) string {
	base := AssemblySubject(prefix, assemblyID)
	if t == TypeStepResult {
		return base + ".steps." + StepToken(step) + ".result"
	}
	return base + "." + string(t)
}

// AssemblySubject returns "<prefix>.v1.assemblies.<assembly id>", the
// subject every event of one Assembly starts with; add ".>" to subscribe
// to all of them. A valid Assembly ID (32 hex characters) is its own
// token; anything else is bounded like a step name (see [StepToken]).
func AssemblySubject(prefix, assemblyID string) string {
	return subjectRoot(prefix) + StepToken(assemblyID)
}

// AllSubjects returns "<prefix>.v1.assemblies.>", the filter of every event
// of every Assembly (a JetStream stream's subjects).
func AllSubjects(prefix string) string { return subjectRoot(prefix) + ">" }

// WatchSubject returns the subject watch requests are sent to:
// "<prefix>.v1.watch".
func WatchSubject(prefix string) string { return versionRoot(prefix) + "watch" }

func subjectRoot(prefix string) string { return versionRoot(prefix) + "assemblies." }

// versionRoot is "<prefix>.v1.", the default prefix standing in for "".
func versionRoot(prefix string) string {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return prefix + "." + Version + "."
}

// SubjectParts is what ParseSubject reads from a subject.
type SubjectParts struct {
	AssemblyID string
	Type       Type
	// Step is the raw Step name of a step result, "" otherwise, and ""
	// when StepHashed.
	Step string
	// StepHashed reports a hashed step token (a name longer than
	// [MaxTokenLen] once escaped): the subject does not hold the whole
	// name, the event's data.step does. Compare [StepToken] of a name
	// with the token to match one.
	StepHashed bool
}

// ParseSubject inverts [Subject] for the given prefix ("" means
// [DefaultPrefix]). An event name this package does not know is returned
// as it is when it has the shape of one (v1 may grow). A hashed step token
// gives StepHashed and no Step. Errors wrap [ErrInvalidSubject] (or
// [ErrInvalidToken] for a badly escaped token).
func ParseSubject(prefix, subject string) (SubjectParts, error) {
	rest, ok := strings.CutPrefix(subject, subjectRoot(prefix))
	if !ok {
		return SubjectParts{}, fmt.Errorf("%w: %q does not start with %q", ErrInvalidSubject, subject, subjectRoot(prefix))
	}
	idTok, suffix, ok := strings.Cut(rest, ".")
	if !ok {
		return SubjectParts{}, fmt.Errorf("%w: %q has no event suffix", ErrInvalidSubject, subject)
	}
	if hashedToken(idTok) {
		return SubjectParts{}, fmt.Errorf("%w: %q: hashed assembly id token", ErrInvalidSubject, subject)
	}
	id, err := UnescapeToken(idTok)
	if err != nil {
		return SubjectParts{}, fmt.Errorf("%w: assembly id: %w", ErrInvalidSubject, err)
	}
	if stepTok, ok := strings.CutPrefix(suffix, "steps."); ok {
		stepTok, ok = strings.CutSuffix(stepTok, ".result")
		if !ok || strings.Contains(stepTok, ".") {
			return SubjectParts{}, fmt.Errorf("%w: %q: want steps.<step>.result", ErrInvalidSubject, subject)
		}
		if hashedToken(stepTok) {
			return SubjectParts{AssemblyID: id, Type: TypeStepResult, StepHashed: true}, nil
		}
		step, err := UnescapeToken(stepTok)
		if err != nil {
			return SubjectParts{}, fmt.Errorf("%w: step: %w", ErrInvalidSubject, err)
		}
		return SubjectParts{AssemblyID: id, Type: TypeStepResult, Step: step}, nil
	}
	t := Type(suffix)
	if t == TypeStepResult || !eventName(suffix) {
		return SubjectParts{}, fmt.Errorf("%w: %q: bad event name %q", ErrInvalidSubject, subject, suffix)
	}
	return SubjectParts{AssemblyID: id, Type: t}, nil
}

// eventName reports whether s has the shape of an event type: dot-separated
// tokens of [a-z0-9_]. Unknown names of that shape are accepted, since v1
// may gain event types.
func eventName(s string) bool {
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" {
			return false
		}
		for i := 0; i < len(tok); i++ {
			c := tok[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
				return false
			}
		}
	}
	return true
}
