package transloadit

import (
	"bytes"
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
		// Without HTML escaping: json.Marshal would rewrite "&", "<" and
		// ">" in the unknown members it copies as escapes, the same value
		// in other bytes, which the members keep as they are.
		var buf bytes.Buffer
		e := json.NewEncoder(&buf)
		e.SetEscapeHTML(false)
		if err := e.Encode(a); err != nil {
			t.Fatalf("encode of a decoded status: %v", err)
		}
		enc := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		b, err := DecodeStatus(enc)
		if err != nil {
			t.Fatalf("decode of %s: %v", enc, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed the status:\nin  %s\nout %s", data, enc)
		}
	})
}

// FuzzOnePassMatchesSlowPath holds the one-pass decoder to the
// encoding/json path it stands in for: whatever it accepts, the slow path
// accepts too, with the same value.
func FuzzOnePassMatchesSlowPath(f *testing.F) {
	seed, err := os.ReadFile("testdata/seed-status.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	for _, s := range []string{
		`{"ok":null,"error":"ASSEMBLY_EXPIRED","http_code":200}`,
		`{"uploads":[{"id":"a","is_tus_file":false,"tus_upload_url":null,"meta":{"w":1}}],"x":[1, 2]}`,
		`{"results":{"s":[{"id":"r","size":12,"queue_time":0.1}]},"bytes_expected":null}`,
		`{"ok":"ASSEMBLY_EXECUTING","warnings":[{"level":"notice","msg":"m"}],"info":{"retryIn":1.5}}`,
		// Files whose member names differ from the last file's at the same
		// position: each is looked up, not taken from the one before.
		`{"results":{"s":[{"id":"a","size":1,"x":2},{"size":1,"id":"b","x":2},{"id":"c","Size":1},{"id":"d","sizE":1,"x":[]}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast Status
		if !newDecoder(data).status(&fast) {
			return
		}
		var slow Status
		if err := slow.unmarshalSlow(data); err != nil {
			t.Fatalf("one-pass decoder accepted %q, which encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("one-pass and slow path differ on %q:\nfast %+v\nslow %+v", data, fast, slow)
		}
	})
}

// FuzzDecodeStatusKnown holds DecodeStatusKnown to DecodeStatus: the same
// verdict on every body, and the same status, but for known results,
// which may hold only their id.
func FuzzDecodeStatusKnown(f *testing.F) {
	seed, err := os.ReadFile("testdata/seed-status.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	for _, s := range []string{
		`{"results":{"s":[{"id":"k","size":3},{"id":"u"},{"name":"k"}],"t":[{"id":"k"}]}}`,
		`{"results":{"s":[{"id":"k","size":"3"}]}}`,
		`{"results":{"s":[{"id":"k","ID":"j"},{"id":"k\u0000"},{"id":"k","id":"k"}]}}`,
		`{"results":{"s":[{"id":"k","meta":null,"is_tus_file":false,"x":{}}]},"results":null}`,
		`{"results":{"s":[{"id":"k1","size":1,"x":1},{"id":"k2","x":1,"size":"1"}]}}`,
		`{"results":{"s":[{"id":"k1","size":1,"x":1},{"id":"k2","Size":1,"x":1},{"id":"k3","size":1,"x":1}]}}`,
	} {
		f.Add([]byte(s))
	}
	// Known: ids starting with k, in any Step.
	known := func(_, id string) bool { return id != "" && id[0] == 'k' }
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := DecodeStatus(data)
		got, err := DecodeStatusKnown(data, known)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("on %q: DecodeStatusKnown gives %v, DecodeStatus %v", data, err, wantErr)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(got.Results.Steps(), want.Results.Steps()) {
			t.Fatalf("on %q: steps %q; want %q", data, got.Results.Steps(), want.Results.Steps())
		}
		for _, step := range want.Results.Steps() {
			g, w := got.Results.Get(step), want.Results.Get(step)
			if len(g) != len(w) || (g == nil) != (w == nil) {
				t.Fatalf("on %q: step %q has %d results; want %d", data, step, len(g), len(w))
			}
			for i := range w {
				if reflect.DeepEqual(g[i], w[i]) || known(step, w[i].ID) && reflect.DeepEqual(g[i], File{ID: w[i].ID}) {
					continue
				}
				t.Fatalf("on %q: %s[%d] = %+v; want %+v", data, step, i, g[i], w[i])
			}
		}
		got.Results, want.Results = Results{}, Results{}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("on %q: the status outside its results differs", data)
		}
	})
}
