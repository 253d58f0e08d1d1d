package stream_test

import (
	"reflect"

	"github.com/tlbridge/tlbridge/stream"
)

// exportedOnly returns a copy of *p with only its exported fields, or nil.
// The model keeps bookkeeping in unexported fields (which members arrived
// as false or null); these tests compare what callers can see.
func exportedOnly[T any](p *T) *T {
	if p == nil {
		return nil
	}
	var out T
	src, dst := reflect.ValueOf(p).Elem(), reflect.ValueOf(&out).Elem()
	for i := 0; i < src.NumField(); i++ {
		if src.Type().Field(i).IsExported() {
			dst.Field(i).Set(src.Field(i))
		}
	}
	return &out
}

// visible is u with its payloads reduced to their exported fields.
func visible(u stream.Update) stream.Update {
	u.Upload, u.Result, u.Error = exportedOnly(u.Upload), exportedOnly(u.Result), exportedOnly(u.Error)
	return u
}
