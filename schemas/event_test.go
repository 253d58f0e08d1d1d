package schemas_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/schematest"
)

func TestEncodeDecodeEveryType(t *testing.T) {
	payloads := samplePayloads()
	for _, typ := range schemas.Types() {
		p, ok := payloads[typ]
		if !ok {
			t.Fatalf("no sample for %s", typ)
		}
		t.Run(string(typ), func(t *testing.T) {
			ev := sampleEvent(typ, p)
			b := schematest.CheckEvent(t, ev)
			got, err := schemas.Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(*got, ev) {
				t.Errorf("Decode(Encode(ev)) = %+v\nwant %+v", *got, ev)
			}
			if got.Base() == nil || got.Base().AssemblyID != sampleID {
				t.Errorf("Base() = %+v", got.Base())
			}
		})
	}
}

func TestEncodeEnvelope(t *testing.T) {
	ev := sampleEvent(schemas.TypeStepResult, samplePayloads()[schemas.TypeStepResult])
	b, err := schemas.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"specversion":     "1.0",
		"id":              sampleID + "/step.result",
		"source":          "tlbridge/test",
		"type":            "transloadit.assembly.step.result.v1",
		"subject":         "transloadit.v1.assemblies." + sampleID + ".steps.my%20step%2Ev2.result",
		"time":            "2024-08-28T13:26:57.25Z",
		"datacontenttype": "application/json",
		"dataschema":      "https://schemas.tlbridge.dev/transloadit/v1/step.result.json",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v; want %v", k, m[k], v)
		}
	}
	if bytes.Contains(b, []byte(`\u0026`)) || !bytes.Contains(b, []byte("a=1&b=2")) {
		t.Errorf("URLs must not be HTML-escaped: %s", b)
	}
	again, _ := schemas.Encode(ev)
	if !bytes.Equal(b, again) {
		t.Errorf("Encode is not deterministic:\n%s\n%s", b, again)
	}
}

func TestEncodeFillsDefaults(t *testing.T) {
	b, err := schemas.Encode(schemas.Event{ID: "x/uploading", Source: "s", Type: schemas.TypeUploading})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"specversion":"1.0"`, `"datacontenttype":"application/json"`, `"dataschema":"https://schemas.tlbridge.dev/transloadit/v1/uploading.json"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Encode() = %s; missing %s", b, want)
		}
	}
	for _, ev := range []schemas.Event{{Source: "s", Type: "t"}, {ID: "i", Type: "t"}, {ID: "i", Source: "s"}} {
		if _, err := schemas.Encode(ev); !errors.Is(err, schemas.ErrInvalidEvent) {
			t.Errorf("Encode(%+v) error = %v; want ErrInvalidEvent", ev, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ name, in string }{
		{"not json", `{`},
		{"specversion", `{"specversion":"0.3","id":"i","source":"s","type":"transloadit.assembly.completed.v1"}`},
		{"no id", `{"specversion":"1.0","source":"s","type":"transloadit.assembly.completed.v1"}`},
		{"no source", `{"specversion":"1.0","id":"i","type":"transloadit.assembly.completed.v1"}`},
		{"foreign type", `{"specversion":"1.0","id":"i","source":"s","type":"com.example.completed.v1"}`},
		{"v2 type", `{"specversion":"1.0","id":"i","source":"s","type":"transloadit.assembly.completed.v2"}`},
		{"bad time", `{"specversion":"1.0","id":"i","source":"s","type":"transloadit.assembly.completed.v1","time":"yesterday"}`},
		{"bad data", `{"specversion":"1.0","id":"i","source":"s","type":"transloadit.assembly.completed.v1","data":{"summary":7}}`},
	}
	for _, tt := range tests {
		if ev, err := schemas.Decode([]byte(tt.in)); !errors.Is(err, schemas.ErrInvalidEvent) {
			t.Errorf("%s: Decode() = %+v, %v; want ErrInvalidEvent", tt.name, ev, err)
		}
	}
}

// TestDecodeUnknownType: v1 may gain event types; a consumer built
// against this version gets them with raw data instead of an error.
func TestDecodeUnknownType(t *testing.T) {
	in := `{"specversion":"1.0","id":"i","source":"s","type":"transloadit.assembly.upload.paused.v1","data":{"assembly_id":"a","new":1}}`
	ev, err := schemas.Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := ev.Data.(json.RawMessage)
	if ev.Type != "upload.paused" || ev.Type.Known() || !ok || string(raw) != `{"assembly_id":"a","new":1}` {
		t.Errorf("Decode(unknown type) = %+v", ev)
	}
	if ev.Base() != nil {
		t.Errorf("Base() of unknown type = %+v; want nil", ev.Base())
	}
}

// TestDecodeIgnoresUnknownFields: additive v1 changes must not break
// consumers of this version.
func TestDecodeIgnoresUnknownFields(t *testing.T) {
	in := `{"specversion":"1.0","id":"i","source":"s","type":"transloadit.assembly.completed.v1","future":1,` +
		`"data":{"assembly_id":"a","state":"ASSEMBLY_COMPLETED","source":"poll","observed_at":"2024-01-01T00:00:00Z","new_field":true,"summary":{"uploads":1,"results":0,"steps":[],"more":2}}}`
	ev, err := schemas.Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := ev.Data.(*schemas.Completed); !ok || c.Summary.Uploads != 1 || c.AssemblyID != "a" {
		t.Errorf("Decode() data = %#v", ev.Data)
	}
}

func TestParseCloudEventsType(t *testing.T) {
	for _, typ := range schemas.Types() {
		got, err := schemas.ParseCloudEventsType(typ.CloudEventsType())
		if err != nil || got != typ {
			t.Errorf("ParseCloudEventsType(%q) = %q, %v", typ.CloudEventsType(), got, err)
		}
	}
	for _, s := range []string{"", "transloadit.assembly..v1", "transloadit.assembly.v1", "completed"} {
		if _, err := schemas.ParseCloudEventsType(s); !errors.Is(err, schemas.ErrInvalidEvent) {
			t.Errorf("ParseCloudEventsType(%q) error = %v; want ErrInvalidEvent", s, err)
		}
	}
}

func TestTypeTerminal(t *testing.T) {
	terminal := map[schemas.Type]bool{schemas.TypeCompleted: true, schemas.TypeFailed: true, schemas.TypeCanceled: true,
		schemas.TypeAborted: true, schemas.TypeWatchExpired: true, schemas.TypeWatchFailed: true, schemas.TypeWatchCanceled: true}
	for _, typ := range schemas.Types() {
		if typ.Terminal() != terminal[typ] {
			t.Errorf("%s.Terminal() = %v", typ, typ.Terminal())
		}
	}
}
