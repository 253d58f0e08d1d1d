// Package jsonenctest checks hand-written JSON encoders against
// encoding/json: it fills a value's every field with random content, so a
// field added later and forgotten by the encoder fails the comparison.
package jsonenctest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// Stdlib returns what encoding/json writes for v without HTML escaping,
// the encoders' reference.
func Stdlib(t testing.TB, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// Strings are the contents Fill picks strings from: empty, plain, and
// ones that need escaping.
var Strings = []string{"", "ASSEMBLY_EXECUTING", "a1b2c3d4e5f60718293a4b5c6d7e8f90", `q"uo\te`, "line\nbreak", "ünï ✓", "bad \xff"}

// Fill sets every exported field reachable from ptr, a pointer to a
// struct, to random content: strings from Strings, booleans, integers and
// floats (zero a third of the time, to exercise omitempty), slices of up
// to three elements, and times (the zero time a third of the time). It
// panics on a kind it does not know, so that a new field type is noticed.
func Fill(ptr any, r *rand.Rand) {
	fill(reflect.ValueOf(ptr).Elem(), r)
}

var timeType = reflect.TypeFor[time.Time]()

func fill(v reflect.Value, r *rand.Rand) {
	zero := r.IntN(3) == 0
	switch {
	case v.Type() == timeType:
		if !zero {
			v.Set(reflect.ValueOf(time.Unix(r.Int64N(4e9), r.Int64N(1e9)).UTC()))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(Strings[r.IntN(len(Strings))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int64:
		if !zero {
			v.SetInt(r.Int64N(1e12) - 1e6)
		}
	case reflect.Float64:
		if !zero {
			v.SetFloat(r.NormFloat64() * 1e3)
		}
	case reflect.Slice:
		n := r.IntN(4)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(s.Index(i), r)
		}
		if n > 0 || r.IntN(2) == 0 {
			v.Set(s) // empty and nil slices both
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), r)
			}
		}
	default:
		panic("jsonenctest: cannot fill a " + v.Type().String())
	}
}
