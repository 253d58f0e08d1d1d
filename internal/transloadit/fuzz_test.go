package transloadit

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// FuzzStatusRoundTrip checks the model's promise: whatever status decodes,
// encodes, and decodes again to the same value.
func FuzzStatusRoundTrip(f *testing.F) {
	seed, err := os.ReadFile("testdata/seed-status.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	for _, s := range []string{
		`{"ok":null,"error":"ASSEMBLY_EXPIRED"}`,
		`{"errno":-2,"code":"ENOENT","syscall":"open"}`,
		`{"ok":"ASSEMBLY_UPLOADING","bytes_expected":null,"uploads":[{"id":"a","meta":null}]}`,
		`{"results":{"b":[{"id":"x"}],"a":null}}`,
		`{"OK":"x","ok":"ASSEMBLY_COMPLETED"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := DecodeStatus(data)
		if err != nil {
			return
		}
		enc, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("encode of a decoded status: %v", err)
		}
		b, err := DecodeStatus(enc)
		if err != nil {
			t.Fatalf("decode of %s: %v", enc, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed the status:\nin  %s\nout %s", data, enc)
		}
	})
}
