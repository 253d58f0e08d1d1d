package normalize

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
)

// publicFile converts an upstream file object. Fields are matched by name,
// so a field added to both types is carried without touching this code;
// TestFileTypesAgree fails when the two types drift apart. Meta, Extra and
// their contents are shared with f, never modified (shrinking copies
// first).
func publicFile(f *transloadit.File) schemas.File {
	var out schemas.File
	src, dst := reflect.ValueOf(f).Elem(), reflect.ValueOf(&out).Elem()
	for _, p := range fileFieldPairs {
		dst.Field(p.dst).Set(src.Field(p.src))
	}
	return out
}

type fieldPair struct{ dst, src int }

// fileFieldPairs pairs each field of schemas.File with the field of
// transloadit.File of the same name and type.
var fileFieldPairs = pairFields(reflect.TypeFor[schemas.File](), reflect.TypeFor[transloadit.File]())

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

// noMeta reports whether a file's meta is missing, null or empty.
func noMeta(m json.RawMessage) bool {
	m = bytes.TrimSpace(m)
	return len(m) == 0 || bytes.Equal(m, []byte("null")) || bytes.Equal(m, []byte("{}"))
}
