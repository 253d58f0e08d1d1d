package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestAppendCompact(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{`{"w":1,"s":"a b","l":[1,2.5e-3,true,null]}`, `{"w":1,"s":"a b","l":[1,2.5e-3,true,null]}`, true},
		{" {\"w\" : 1,\n\t\"s\":\"a \\\" b\" , \"l\":[ ]}\r\n", `{"w":1,"s":"a \" b","l":[]}`, true},
		{` "x" `, `"x"`, true},
		{`0`, `0`, true},
		{"\"\xff\"", "\"\xff\"", true},
		{``, ``, false},
		{` `, ``, false},
		{`{"a":1`, ``, false},
		{`1 2`, ``, false},
		{`[01]`, ``, false},
		{"\"a\tb\"", ``, false},
		{strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1), ``, false},
	} {
		got, ok := AppendCompact([]byte("prefix:"), []byte(tt.in))
		want := "prefix:" + tt.want
		if ok != tt.ok || string(got) != want {
			t.Errorf("AppendCompact(%q) = %q, %v; want %q, %v", tt.in, got, ok, want, tt.ok)
		}
	}
}

// TestSpaced: the count moves across a value with whitespace in it and
// stays across one without.
func TestSpaced(t *testing.T) {
	for _, tt := range []struct {
		in     string
		spaced bool
	}{
		{`{"a":[1,2],"b":"c d"}`, false},
		{`{"a":[1, 2]}`, true},
		{`{ }`, true},
		{`[1,{"b" :2}]`, true},
		{`"a b \t\n"`, false},
	} {
		s := Scanner{Data: []byte(tt.in)}
		before := s.Spaced()
		if _, ok := s.Value(); !ok {
			t.Fatalf("Value(%q) refused", tt.in)
		}
		if got := s.Spaced() != before; got != tt.spaced {
			t.Errorf("Value(%q) moved Spaced: %v; want %v", tt.in, got, tt.spaced)
		}
	}
}

// FuzzAppendCompactMatchesCompact holds AppendCompact to json.Compact:
// whatever it accepts, json.Compact accepts with the same bytes.
func FuzzAppendCompactMatchesCompact(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}],"c":"d"}`, " [ 1 , \"x y\" ] ", `{"a":"\"}"}`, `-0.5E+7`, `{"a" 1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := AppendCompact(nil, data)
		if !ok {
			return
		}
		var want bytes.Buffer
		if err := json.Compact(&want, data); err != nil {
			t.Fatalf("AppendCompact accepted %q, which json.Compact refuses: %v", data, err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("AppendCompact(%q) = %q; json.Compact gives %q", data, got, want.Bytes())
		}
	})
}
