package normalize

import (
	"encoding/json"
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
			fillNonZero(t, v.Field(i))
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

func fillNonZero(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int64:
		v.SetInt(7)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		v.SetBytes([]byte(`{"a":1}`))
	case reflect.Map:
		v.Set(reflect.ValueOf(map[string]json.RawMessage{"k": json.RawMessage(`1`)}))
	default:
		t.Fatalf("no filler for %s", v.Type())
	}
}
