package schemas_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tlbridge/tlbridge/schemas"
)

func TestFileRoundTrip(t *testing.T) {
	in := `{"id":"a","name":"n.png","size":3,"meta":{"w":1},"queue":"live","cost":1048576,"user_meta":{"k":"v"},"tus_upload_url":null,"url":"http://x/?a=1&b=2"}`
	var f schemas.File
	if err := json.Unmarshal([]byte(in), &f); err != nil {
		t.Fatal(err)
	}
	if f.ID != "a" || f.Size != 3 || string(f.Meta) != `{"w":1}` || f.URL != "http://x/?a=1&b=2" {
		t.Errorf("typed fields = %+v", f)
	}
	for _, k := range []string{"queue", "cost", "user_meta"} {
		if _, ok := f.Extra[k]; !ok {
			t.Errorf("Extra lacks %q: %v", k, f.Extra)
		}
	}
	out, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	_ = json.Unmarshal([]byte(in), &a)
	_ = json.Unmarshal(out, &b)
	delete(a, "tus_upload_url") // null decodes to the empty string, which is omitted
	if !reflect.DeepEqual(a, b) {
		t.Errorf("round trip:\n in %v\nout %v", a, b)
	}
}

func TestFileExtraWins(t *testing.T) {
	f := schemas.File{ID: "a", Meta: json.RawMessage(`{"x":1}`), Extra: map[string]json.RawMessage{"meta": json.RawMessage("null")}}
	out, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"id":"a","meta":null}` {
		t.Errorf("Marshal() = %s; want the Extra member to win", out)
	}
}
