package jsonenc

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/jsonenc/jsonenctest"
)

var samples = []string{
	"", "plain", "a long plain string of more than eight bytes", `quote " and \ backslash`,
	"\x00\x01\x1f\x7f controls", "\b\f\n\r\t", "<html> & friends", "ünïcödé ✓ 😀",
	"\u2028 and \u2029", "bad \xff utf-8 \xc3", "\xed\xa0\x80 surrogate",
}

func TestAppendString(t *testing.T) {
	for _, s := range samples {
		if got, want := string(AppendString(nil, s)), jsonenctest.Stdlib(t, s); got != want {
			t.Errorf("AppendString(%q) = %s; want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range samples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(AppendString(nil, s)), jsonenctest.Stdlib(t, s); got != want {
			t.Errorf("AppendString(%q) = %s; want %s", s, got, want)
		}
	})
}

func TestAppendFloat(t *testing.T) {
	for _, f := range []float64{0, 1, -1.5, 0.1, 1e-6, 1e-7, 123456789, 1e20, 1e21, -2.5e-9, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		got, err := AppendFloat(nil, f)
		if want := jsonenctest.Stdlib(t, f); err != nil || string(got) != want {
			t.Errorf("AppendFloat(%v) = %s, %v; want %s", f, got, err, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := AppendFloat(nil, f); !errors.Is(err, ErrUnsupportedFloat) {
			t.Errorf("AppendFloat(%v) error = %v; want ErrUnsupportedFloat", f, err)
		}
	}
}

func TestAppendTime(t *testing.T) {
	for _, tm := range []time.Time{{}, time.Date(2026, 12, 3, 14, 5, 6, 789000000, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))} {
		got, err := AppendTime(nil, tm)
		if want := jsonenctest.Stdlib(t, tm); err != nil || string(got) != want {
			t.Errorf("AppendTime(%v) = %s, %v; want %s", tm, got, err, want)
		}
	}
	if _, err := AppendTime(nil, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("AppendTime(year 10000) succeeded; want the error MarshalJSON gives")
	}
}

func TestAppendKey(t *testing.T) {
	b := append([]byte(`{"outer":`), '{')
	start := len(b)
	b = append(AppendKey(b, start, "a"), '1')
	b = append(AppendKey(b, start, "b"), '2')
	if got, want := string(b)+"}}", `{"outer":{"a":1,"b":2}}`; got != want {
		t.Errorf("AppendKey wrote %s; want %s", got, want)
	}
}

// TestMembers: each member helper leaves out an empty value, as
// omitempty does, and writes the others as encoding/json does.
func TestMembers(t *testing.T) {
	type doc struct {
		S  string   `json:"s,omitempty"`
		T  bool     `json:"t,omitempty"`
		I  int64    `json:"i,omitempty"`
		SS []string `json:"ss,omitempty"`
	}
	for _, d := range []doc{{}, {S: "x\"y"}, {T: true, I: -3}, {SS: []string{"a", "b\n"}}, {"s", true, 1, []string{""}}} {
		b := []byte{'{'}
		b = StringMember(b, 1, "s", d.S)
		b = TrueMember(b, 1, "t", d.T)
		b = IntMember(b, 1, "i", d.I)
		b = StringsMember(b, 1, "ss", d.SS)
		if got, want := string(append(b, '}')), jsonenctest.Stdlib(t, d); got != want {
			t.Errorf("members of %+v = %s; want %s", d, got, want)
		}
	}
}
