package normalize

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
)

// The public file type carries every member the upstream model names, and
// nothing else: a field added to one type only fails here.
func TestFileTypesAgree(t *testing.T) {
	pub, up := reflect.TypeFor[schemas.File](), reflect.TypeFor[transloadit.File]()
	if got, want := len(pairFields(pub, up)), pub.NumField(); got != want {
		t.Errorf("schemas.File has %d fields, %d of them in transloadit.File with the same type", want, got)
	}
	exported := 0
	for i := range up.NumField() {
		if up.Field(i).IsExported() {
			exported++
		}
	}
	if got := len(pairFields(up, pub)); got != exported {
		t.Errorf("transloadit.File has %d exported fields, %d of them in schemas.File", exported, got)
	}
}

// Every field is carried over with its value.
func TestPublicFileCopiesEveryField(t *testing.T) {
	var f transloadit.File
	v := reflect.ValueOf(&f).Elem()
	for i := range v.NumField() {
		if v.Type().Field(i).IsExported() {
			fillNonZero(t, v.Field(i), i)
		}
	}
	got := reflect.ValueOf(publicFile(&f))
	for i := range got.NumField() {
		name := got.Type().Field(i).Name
		if !reflect.DeepEqual(got.Field(i).Interface(), v.FieldByName(name).Interface()) {
			t.Errorf("publicFile: %s = %v; want %v", name, got.Field(i), v.FieldByName(name))
		}
	}
}

// fillNonZero sets field i to a value no other field of its type has, so
// that a field copied from the wrong one shows.
func fillNonZero(t *testing.T, v reflect.Value, i int) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("field %d", i))
	case reflect.Int64:
		v.SetInt(int64(i + 1))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		v.SetBytes(fmt.Appendf(nil, `{"field":%d}`, i))
	case reflect.Map:
		v.Set(reflect.ValueOf(map[string]json.RawMessage{fmt.Sprint(i): json.RawMessage(`1`)}))
	default:
		t.Fatalf("no filler for %s", v.Type())
	}
}

// fieldPair is a field of one struct type and the field of the same name
// and type in another.
type fieldPair struct{ dst, src int }

// pairFields returns the exported fields of dst that src has with the same
// name and type.
func pairFields(dst, src reflect.Type) []fieldPair {
	var pairs []fieldPair
	for i := range dst.NumField() {
		df := dst.Field(i)
		sf, ok := src.FieldByName(df.Name)
		if df.IsExported() && ok && sf.Type == df.Type && len(sf.Index) == 1 {
			pairs = append(pairs, fieldPair{dst: i, src: sf.Index[0]})
		}
	}
	return pairs
}

func BenchmarkPublicFile(b *testing.B) {
	f := &transloadit.File{ID: "a1", Name: "x.png", Basename: "x", Ext: "png", Size: 12224, Mime: "image/png",
		SSLURL: "https://h/x.png", Meta: json.RawMessage(`{"w":1}`)}
	var sink schemas.File
	for b.Loop() {
		sink = publicFile(f)
	}
	_ = sink
}
