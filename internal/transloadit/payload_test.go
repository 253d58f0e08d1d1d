package transloadit

import (
	"errors"
	"reflect"
	"testing"
	"unsafe"
)

func TestDecodeResult(t *testing.T) {
	for _, tt := range []struct {
		name     string
		in       string
		wantStep string
		wantID   string
		wantErr  bool
	}{
		{"pair", `["thumb",{"id":"r1","cost":5}]`, "thumb", "r1", false},
		{"spaces", " [ \"thumb\" ,\n{\"id\":\"r1\"} ] ", "thumb", "r1", false},
		{"escaped step", `["th\u0075mb",{"id":"r1"}]`, "thumb", "r1", false},
		{"odd file", `["s",{"id":"r1","ID":"x"}]`, "s", "r1", false},
		{"object", `{"id":"r1"}`, "", "", true},
		{"one element", `["thumb"]`, "", "", true},
		{"three elements", `["thumb",{},{}]`, "", "", true},
		{"step not a string", `[1,{"id":"r1"}]`, "", "", true},
		{"file null", `["thumb",null]`, "", "", true},
		{"trailing data", `["thumb",{}] x`, "", "", true},
		{"not json", `[thumb`, "", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			step, f, err := DecodeResult([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrMalformedResult) || f != nil {
					t.Fatalf("DecodeResult(%q) = %v, %v; want ErrMalformedResult", tt.in, f, err)
				}
				return
			}
			if err != nil || step != tt.wantStep || f.ID != tt.wantID {
				t.Fatalf("DecodeResult(%q) = %q, %+v, %v; want %q, id %q", tt.in, step, f, err, tt.wantStep, tt.wantID)
			}
		})
	}
}

func TestDecodeFile(t *testing.T) {
	for _, in := range []string{`null`, `[]`, `{"size":"big"}`, `{"id":"u1"`, ``} {
		if f, err := DecodeFile([]byte(in)); !errors.Is(err, ErrMalformedFile) || f != nil {
			t.Errorf("DecodeFile(%q) = %v, %v; want ErrMalformedFile", in, f, err)
		}
	}
	f, err := DecodeFile([]byte(` {"id":"u1","user_meta":{"k": "v"}} `))
	if err != nil || f.ID != "u1" || string(f.Extra["user_meta"]) != `{"k":"v"}` {
		t.Errorf("DecodeFile = %+v, %v; want id u1 with user_meta compacted", f, err)
	}
}

// TestKeptValuesCompacted: the bytes a file keeps are compact whether
// upstream's were or not, and a string's spaces are its own.
func TestKeptValuesCompacted(t *testing.T) {
	f, err := DecodeFile([]byte(`{"id":"u1","meta":{"w":1,"s":"a b"},"x":[1, {"y" : " z "}],"q":"a  b","r":{ }}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, kept := range []struct{ name, got, want string }{
		{"meta", string(f.Meta), `{"w":1,"s":"a b"}`},
		{"x", string(f.Extra["x"]), `[1,{"y":" z "}]`},
		{"q", string(f.Extra["q"]), `"a  b"`},
		{"r", string(f.Extra["r"]), `{}`},
	} {
		if kept.got != kept.want {
			t.Errorf("%s = %s; want %s", kept.name, kept.got, kept.want)
		}
	}
}

// FuzzDecodeResultMatchesSlowPath holds the one-pass result decoder to the
// encoding/json path: whatever it accepts, the slow path accepts with the
// same value.
func FuzzDecodeResultMatchesSlowPath(f *testing.F) {
	for _, s := range []string{
		`["thumb",{"id":"r1","cost":5,"meta":{"w":1}}]`,
		`["s",{"id":"a","is_tus_file":false,"tus_upload_url":null,"meta":null}]`,
		` [ "s" , { } ] `,
		`["s",{"id":"r1"},{}]`,
		`["s\u00e9",{}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast File
		step, ok := newDecoder(data).result(&fast)
		if !ok {
			return
		}
		slowStep, slow, err := decodeResultSlow(data)
		if err != nil {
			t.Fatalf("one-pass decoder accepted %q, which encoding/json refuses: %v", data, err)
		}
		if step != slowStep || !reflect.DeepEqual(&fast, slow) {
			t.Fatalf("one-pass and slow path differ on %q:\nfast %q %+v\nslow %q %+v", data, step, fast, slowStep, slow)
		}
	})
}

// TestDecodeResultAliases: a result's compact raw members point into the
// payload rather than into a copy; a member with whitespace is compacted
// into memory of its own.
func TestDecodeResultAliases(t *testing.T) {
	data := []byte(`["s",{"id":"r1","meta":{"width":1},"custom":{"a": 1}}]`)
	_, f, err := DecodeResult(data)
	if err != nil {
		t.Fatal(err)
	}
	if !within(f.Meta, data) {
		t.Errorf("Meta %s is a copy; want it to point into the payload", f.Meta)
	}
	if got := string(f.Extra["custom"]); got != `{"a":1}` || within(f.Extra["custom"], data) {
		t.Errorf("custom = %s (in the payload: %v); want {\"a\":1} compacted apart", got, within(f.Extra["custom"], data))
	}
	if cap(f.Meta) != len(f.Meta) {
		t.Errorf("Meta has spare capacity %d: an append would overwrite the payload", cap(f.Meta)-len(f.Meta))
	}
}

// within reports whether b's bytes lie inside data's.
func within(b, data []byte) bool {
	if len(b) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= start && p+uintptr(len(b)) <= start+uintptr(len(data))
}
