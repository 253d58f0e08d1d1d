package strictjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

type base struct {
	Note string `json:"note,omitempty"`
}

// request has the shape of a watch request, plus an embedded struct and
// a field without a tag, which encoding/json names by the field.
type request struct {
	AssemblyID      string `json:"assembly_id"`
	AssemblySSLURL  string `json:"assembly_ssl_url,omitempty"`
	UpdateStreamURL string `json:"update_stream_url,omitempty"`
	Ignored         string `json:"-"`
	Plain           int
	base
}

func TestDecode(t *testing.T) {
	const id = "2c54108c765a4eb1ae30df68093d6686"
	tests := []struct {
		name    string
		in      string
		opts    []Option
		want    request
		wantErr error // nil: success; errSyntax: any encoding/json error
	}{
		{name: "valid", in: `{"assembly_id":"` + id + `"}`, want: request{AssemblyID: id}},
		{name: "all members", in: ` {"assembly_id":"a","assembly_ssl_url":"s","update_stream_url":"u","Plain":3,"note":"n"} `,
			want: request{AssemblyID: "a", AssemblySSLURL: "s", UpdateStreamURL: "u", Plain: 3, base: base{Note: "n"}}},
		{name: "escaped name", in: `{"assembly\u005fid":"a"}`, want: request{AssemblyID: "a"}},
		{name: "empty object", in: `{}`},
		{name: "other case", in: `{"Assembly_ID":"` + id + `"}`, wantErr: ErrUnknownKey},
		{name: "upper case", in: `{"ASSEMBLY_ID":"` + id + `"}`, wantErr: ErrUnknownKey},
		{name: "other case, unknown allowed", in: `{"Assembly_ID":"` + id + `"}`, opts: []Option{AllowUnknown()}, wantErr: ErrUnknownKey},
		{name: "field name in other case", in: `{"plain":1}`, wantErr: ErrUnknownKey},
		{name: "duplicate", in: `{"assembly_id":"` + id + `","assembly_id":"7828446e5acd4aa996dce3455ec914e9"}`, wantErr: ErrDuplicateKey},
		{name: "duplicate by escape", in: `{"assembly_id":"a","assembly\u005fid":"b"}`, wantErr: ErrDuplicateKey},
		{name: "duplicate unknown", in: `{"x":1,"x":2}`, opts: []Option{AllowUnknown()}, wantErr: ErrDuplicateKey},
		{name: "unknown", in: `{"assembly_id":"a","callback":"x"}`, wantErr: ErrUnknownKey},
		{name: "unknown allowed", in: `{"assembly_id":"a","callback":{"x":[1]}}`, opts: []Option{AllowUnknown()}, want: request{AssemblyID: "a"}},
		{name: "tagged out", in: `{"Ignored":"x"}`, wantErr: ErrUnknownKey},
		{name: "array", in: `[{"assembly_id":"a"}]`, wantErr: ErrNotObject},
		{name: "string", in: `"assembly_id"`, wantErr: ErrNotObject},
		{name: "null", in: `null`, wantErr: ErrNotObject},
		{name: "empty", in: ``, wantErr: ErrNotObject},
		{name: "two objects", in: `{"assembly_id":"a"}{"assembly_id":"b"}`, wantErr: ErrNotObject},
		{name: "trailing garbage", in: `{"assembly_id":"a"} x`, wantErr: errSyntax},
		{name: "truncated", in: `{"assembly_id":"a"`, wantErr: errSyntax},
		{name: "wrong type", in: `{"assembly_id":1}`, wantErr: errSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got request
			err := Decode([]byte(tt.in), &got, tt.opts...)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Decode(%s) = %v; want success", tt.in, err)
			case tt.wantErr == errSyntax && err == nil:
				t.Fatalf("Decode(%s) succeeded; want an error", tt.in)
			case tt.wantErr != nil && tt.wantErr != errSyntax && !errors.Is(err, tt.wantErr):
				t.Fatalf("Decode(%s) = %v; want %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("Decode(%s) = %+v; want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// errSyntax stands for any error of encoding/json in the table.
var errSyntax = errors.New("any encoding/json error")

func TestDecodeMap(t *testing.T) {
	var m map[string]any
	if err := Decode([]byte(`{"A":1,"a":2}`), &m); err != nil || len(m) != 2 {
		t.Errorf("Decode into a map = %v, %v; want both keys", m, err)
	}
	if err := Decode([]byte(`{"a":1,"a":2}`), &m); !errors.Is(err, ErrDuplicateKey) {
		t.Errorf("Decode duplicate into a map = %v; want ErrDuplicateKey", err)
	}
}

func TestDecodeErrorsDoNotQuoteInput(t *testing.T) {
	long := strings.Repeat("k", 10000)
	err := Decode([]byte(`{"`+long+`":1}`), &request{})
	if !errors.Is(err, ErrUnknownKey) || len(err.Error()) > 200 {
		t.Errorf("Decode(long key) = %.300v; want a short ErrUnknownKey", err)
	}
	err = Decode([]byte(`"`+long+`"`), &request{})
	if !errors.Is(err, ErrNotObject) || len(err.Error()) > 200 {
		t.Errorf("Decode(long string) = %.300v; want a short ErrNotObject", err)
	}
}

// FuzzDecode: Decode never panics, and what it accepts encoding/json
// reads the same way, from an object with no repeated or case-folded
// member names.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"assembly_id":"2c54108c765a4eb1ae30df68093d6686"}`,
		`{"Assembly_ID":"x"}`, `{"assembly_id":"a","assembly_id":"b"}`, `{"note":"n","Plain":1}`,
		`[]`, `{`, `{"a":{"a":1,"a":2}}`, `{"assembly\u005fid":"a"}`, ` {} `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got request
		if err := Decode(data, &got); err != nil {
			return
		}
		var want request
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("Decode accepted %q, encoding/json refuses it: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode(%q) = %+v; encoding/json %+v", data, got, want)
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(data, &members); err != nil {
			t.Fatalf("accepted %q is no object: %v", data, err)
		}
		known := knownKeys(reflect.TypeOf(&got))
		for k := range members {
			if !known[k] {
				t.Fatalf("Decode accepted %q with member %q", data, k)
			}
		}
	})
}
