package schemas

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/quick"
	"unicode/utf8"
)

func TestEscapeToken(t *testing.T) {
	tests := []struct{ in, want string }{
		{"thumbs", "thumbs"},
		{":original", ":original"},
		{"resize_v2-final", "resize_v2-final"},
		{"2b7beaddf0a046e2ada603346f2cbee1", "2b7beaddf0a046e2ada603346f2cbee1"},
		{"", "%"},
		{"a.b", "a%2Eb"},
		{"a b", "a%20b"},
		{"*", "%2A"},
		{">", "%3E"},
		{"%", "%25"},
		{"%2E", "%252E"},
		{"tab\there", "tab%09here"},
		{"nl\r\n", "nl%0D%0A"},
		{"nul\x00", "nul%00"},
		{"$JS", "%24JS"},
		{"a/b", "a%2Fb"},
		{"~", "%7E"},
		{"größe", "gr%C3%B6%C3%9Fe"},
		{"\xff", "%FF"},
	}
	for _, tt := range tests {
		if got := EscapeToken(tt.in); got != tt.want {
			t.Errorf("EscapeToken(%q) = %q; want %q", tt.in, got, tt.want)
		}
		back, err := UnescapeToken(tt.want)
		if err != nil || back != tt.in {
			t.Errorf("UnescapeToken(%q) = %q, %v; want %q", tt.want, back, err, tt.in)
		}
	}
}

// TestUnescapeTokenRejectsNonCanonical: only EscapeToken's own output is
// accepted, so two different tokens never name the same Step.
func TestUnescapeTokenRejectsNonCanonical(t *testing.T) {
	for _, tok := range []string{
		"", "a.b", "a b", "*", ">", "%2e", "%41", "%", "%%", "a%", "a%2", "%G0", "%2", "x%zz",
		"é", "a\x00", "%7e",
	} {
		if tok == "%" {
			continue // the empty-name sentinel
		}
		if got, err := UnescapeToken(tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("UnescapeToken(%q) = %q, %v; want ErrInvalidToken", tok, got, err)
		}
	}
}

// validToken is the NATS rule for one literal token, plus the project's
// stricter one: printable ASCII only, and not a system ($) token.
func validToken(tok string) bool {
	if tok == "" || tok == "*" || tok == ">" || strings.HasPrefix(tok, "$") {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= ' ' || c >= 0x7f || c == '.' || c == '*' || c == '>' {
			return false
		}
	}
	return true
}

func validSubject(s string) bool {
	for tok := range strings.SplitSeq(s, ".") {
		if !validToken(tok) {
			return false
		}
	}
	return true
}

func checkRoundTrip(t *testing.T, name string) bool {
	t.Helper()
	tok := EscapeToken(name)
	if !validToken(tok) {
		t.Errorf("EscapeToken(%q) = %q: not a valid subject token", name, tok)
		return false
	}
	back, err := UnescapeToken(tok)
	if err != nil || back != name {
		t.Errorf("UnescapeToken(EscapeToken(%q)) = %q, %v", name, back, err)
		return false
	}
	subj := Subject("acme.transloadit", "2b7beaddf0a046e2ada603346f2cbee1", TypeStepResult, name)
	if !validSubject(subj) {
		t.Errorf("Subject(step %q) = %q: invalid", name, subj)
		return false
	}
	if len(subj) > MaxSubjectLen {
		t.Errorf("Subject(step %q) is %d bytes; want at most %d", name, len(subj), MaxSubjectLen)
		return false
	}
	p, err := ParseSubject("acme.transloadit", subj)
	if len(tok) > MaxTokenLen {
		if err != nil || !p.StepHashed || p.Step != "" || p.Type != TypeStepResult {
			t.Errorf("ParseSubject(%q) = %+v, %v; want a hashed step", subj, p, err)
			return false
		}
		return true
	}
	if err != nil || p.Step != name || p.Type != TypeStepResult || p.StepHashed {
		t.Errorf("ParseSubject(%q) = %+v, %v; want step %q", subj, p, err, name)
		return false
	}
	return true
}

// TestEscapeTokenProperty: any string (valid UTF-8 or not, empty
// included) round-trips and yields a valid token and subject.
func TestEscapeTokenProperty(t *testing.T) {
	cfg := &quick.Config{MaxCount: 5000, Rand: nil}
	if err := quick.Check(func(s string) bool { return checkRoundTrip(t, s) }, cfg); err != nil {
		t.Error(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		checkRoundTrip(t, string(b))
	}
	// Every single byte and every rune class at the edges.
	for c := range 256 {
		checkRoundTrip(t, string([]byte{byte(c)}))
	}
	for _, r := range []rune{0x7f, 0x80, 0xa0, 0x2028, 0xfeff, utf8.MaxRune, utf8.RuneError} {
		checkRoundTrip(t, string(r))
	}
}

func FuzzEscapeToken(f *testing.F) {
	for _, s := range []string{"", "thumbs", "a.b", "%", "%25", " ", "*", ">", "\x00", "größe", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkRoundTrip(t, s) })
}

func TestSubject(t *testing.T) {
	const id = "2b7beaddf0a046e2ada603346f2cbee1"
	tests := []struct {
		prefix string
		t      Type
		step   string
		want   string
	}{
		{"", TypeCompleted, "", "transloadit.v1.assemblies." + id + ".completed"},
		{"transloadit", TypeUploadFinished, "", "transloadit.v1.assemblies." + id + ".upload.finished"},
		{"transloadit", TypeStepResult, "thumbs", "transloadit.v1.assemblies." + id + ".steps.thumbs.result"},
		{"transloadit", TypeStepResult, "my step.v2", "transloadit.v1.assemblies." + id + ".steps.my%20step%2Ev2.result"},
		{"transloadit", TypeStepResult, "", "transloadit.v1.assemblies." + id + ".steps.%.result"},
		{"acme.tl", TypeWatchExpired, "ignored", "acme.tl.v1.assemblies." + id + ".watch.expired"},
		{"transloadit", TypeUploadMetaExtracted, "", "transloadit.v1.assemblies." + id + ".upload.meta_extracted"},
	}
	for _, tt := range tests {
		got := Subject(tt.prefix, id, tt.t, tt.step)
		if got != tt.want {
			t.Errorf("Subject(%q, id, %q, %q) = %q; want %q", tt.prefix, tt.t, tt.step, got, tt.want)
		}
		p, err := ParseSubject(tt.prefix, got)
		want := SubjectParts{AssemblyID: id, Type: tt.t}
		if tt.t == TypeStepResult {
			want.Step = tt.step
		}
		if err != nil || p != want {
			t.Errorf("ParseSubject(%q) = %+v, %v; want %+v", got, p, err, want)
		}
	}
	if got, want := AllSubjects(""), "transloadit.v1.assemblies.>"; got != want {
		t.Errorf("AllSubjects() = %q; want %q", got, want)
	}
	if got, want := AssemblySubject("x", id), "x.v1.assemblies."+id; got != want {
		t.Errorf("AssemblySubject() = %q; want %q", got, want)
	}
}

func TestSubjectEveryType(t *testing.T) {
	for _, typ := range Types() {
		s := Subject("", "abc", typ, "st")
		if !validSubject(s) {
			t.Errorf("Subject(%s) = %q: invalid", typ, s)
		}
		p, err := ParseSubject("", s)
		if err != nil || p.Type != typ {
			t.Errorf("ParseSubject(%q) = %+v, %v; want type %s", s, p, err, typ)
		}
	}
}

func TestParseSubjectErrors(t *testing.T) {
	for _, s := range []string{
		"",
		"other.v1.assemblies.abc.completed",
		"transloadit.v2.assemblies.abc.completed",
		"transloadit.v1.assemblies.abc",
		"transloadit.v1.assemblies.abc.steps.a.b.result",
		"transloadit.v1.assemblies.abc.steps.thumbs",
		"transloadit.v1.assemblies.abc.step.result",
		"transloadit.v1.assemblies.abc.steps.a%2e.result",
		"transloadit.v1.assemblies.abc.Completed",
		"transloadit.v1.assemblies.abc.completed.",
		"transloadit.v1.assemblies.abc.*",
		"transloadit.v1.assemblies.abc.>",
	} {
		if p, err := ParseSubject("", s); !errors.Is(err, ErrInvalidSubject) {
			t.Errorf("ParseSubject(%q) = %+v, %v; want ErrInvalidSubject", s, p, err)
		}
	}
	// A future v1 event type of the right shape parses (v1 is additive).
	p, err := ParseSubject("", "transloadit.v1.assemblies.abc.upload.paused")
	if err != nil || p.Type != "upload.paused" || p.Type.Known() {
		t.Errorf("ParseSubject(future type) = %+v, %v", p, err)
	}
}
