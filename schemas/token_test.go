package schemas

import (
	"strings"
	"testing"
)

// natsMaxControlLine is nats-server's default max_control_line: a longer
// PUB line closes the connection.
const natsMaxControlLine = 4096

func TestStepTokenBound(t *testing.T) {
	long := strings.Repeat("a", 5000)
	tests := []struct {
		name string
		step string
		want string // the token's readable start
	}{
		{"5000 safe bytes", long, strings.Repeat("a", 63)},
		{"1.4 KB of dots", strings.Repeat(".", 1400), strings.Repeat("%2E", 21)},
		{"1.4 KB of spaces and stars", strings.Repeat(" *", 700), strings.Repeat("%20%2A", 10) + "%20"},
		{"unicode", strings.Repeat("größe", 300), strings.Repeat("gr%C3%B6%C3%9Fe", 4) + "gr"},
		{"escape across the cut", strings.Repeat("a", 62) + strings.Repeat(".", 100), strings.Repeat("a", 62)},
		{"escape one byte before the cut", strings.Repeat("a", 61) + strings.Repeat(".", 100), strings.Repeat("a", 61)},
	}
	prefix := strings.Repeat("p", MaxPrefixLen)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := StepToken(tt.step)
			if len(tok) > MaxTokenLen {
				t.Errorf("StepToken is %d bytes; want at most %d", len(tok), MaxTokenLen)
			}
			readable, _, _ := strings.Cut(tok, "~")
			if readable != tt.want {
				t.Errorf("StepToken readable part = %q; want %q", readable, tt.want)
			}
			if again := StepToken(tt.step); again != tok {
				t.Errorf("StepToken not stable: %q then %q", tok, again)
			}
			subj := Subject(prefix, "2b7beaddf0a046e2ada603346f2cbee1", TypeStepResult, tt.step)
			if len(subj) > MaxSubjectLen || len(subj) >= natsMaxControlLine/2 {
				t.Errorf("Subject is %d bytes; want at most %d", len(subj), MaxSubjectLen)
			}
			if !validSubject(subj) {
				t.Errorf("Subject = %q: invalid", subj)
			}
			p, err := ParseSubject(prefix, subj)
			if err != nil || !p.StepHashed || p.Type != TypeStepResult || p.AssemblyID != "2b7beaddf0a046e2ada603346f2cbee1" {
				t.Errorf("ParseSubject = %+v, %v; want a hashed step result", p, err)
			}
		})
	}
}

// TestStepTokenDistinct: long names that share their readable start, or
// differ only past it, still get distinct tokens; and no short name's
// token equals a long name's.
func TestStepTokenDistinct(t *testing.T) {
	seen := map[string]string{}
	add := func(name string) {
		tok := StepToken(name)
		if prev, ok := seen[tok]; ok && prev != name {
			t.Fatalf("StepToken(%.40q...) = StepToken(%.40q...) = %q", name, prev, tok)
		}
		seen[tok] = name
	}
	base := strings.Repeat("x", 200)
	for i := range 2000 {
		add(base + strings.Repeat("y", i))
		add(strings.Repeat(".", 43+i%50) + string(rune('a'+i%26)) + strings.Repeat("z", i))
	}
	// A name spelled like a hashed token escapes its "~".
	hashed := StepToken(base)
	add(hashed)
	if StepToken(hashed) == hashed {
		t.Errorf("a name equal to a hashed token maps to that token")
	}
	// Right at the bound the token is still the reversible one.
	for _, n := range []int{MaxTokenLen - 1, MaxTokenLen} {
		name := strings.Repeat("b", n)
		if got := StepToken(name); got != name {
			t.Errorf("StepToken(%d bytes) = %q; want the name", n, got)
		}
	}
	if got := StepToken(strings.Repeat("b", MaxTokenLen+1)); !strings.Contains(got, "~") {
		t.Errorf("StepToken(%d bytes) = %q; want a hashed token", MaxTokenLen+1, got)
	}
}

// TestAssemblySubjectBound: the Assembly ID token obeys the same bound, so
// a caller that skipped ID validation still cannot build a subject NATS
// refuses.
func TestAssemblySubjectBound(t *testing.T) {
	id := strings.Repeat("%", 3000)
	subj := Subject("", id, TypeCompleted, "")
	if len(subj) > MaxSubjectLen || !validSubject(subj) {
		t.Errorf("Subject with a 3000-byte id = %d bytes, valid %v; want at most %d", len(subj), validSubject(subj), MaxSubjectLen)
	}
	if _, err := ParseSubject("", subj); err == nil {
		t.Errorf("ParseSubject(%q) accepted a hashed assembly id", subj)
	}
}

func TestParseSubjectHashedTokenErrors(t *testing.T) {
	sum := strings.Repeat("0", hashHexLen)
	for _, tok := range []string{
		"~" + sum,                              // no readable part
		"abc~" + sum[1:],                       // short hash
		"abc~" + strings.ToUpper("ab"+sum[2:]), // upper-case hex
		"a%2~" + sum,                           // bad escape in the readable part
		strings.Repeat("a", readableLen+1) + "~" + sum,
		"abc~" + sum + "~",
	} {
		subj := "transloadit.v1.assemblies.abc.steps." + tok + ".result"
		if p, err := ParseSubject("", subj); err == nil {
			t.Errorf("ParseSubject(%q) = %+v; want an error", subj, p)
		}
	}
}
