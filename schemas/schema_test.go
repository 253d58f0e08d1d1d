package schemas_test

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/schematest"
)

func TestSchemaFiles(t *testing.T) {
	files := schemas.SchemaFiles()
	want := map[string]bool{schemas.CommonSchemaFile: true, schemas.EnvelopeSchemaFile: true}
	for _, typ := range schemas.Types() {
		want[string(typ)+".json"] = true
		b, err := schemas.Schema(typ)
		if err != nil {
			t.Fatalf("Schema(%s): %v", typ, err)
		}
		var doc struct {
			Schema string `json:"$schema"`
			ID     string `json:"$id"`
			Title  string `json:"title"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if doc.ID != typ.SchemaURL() || doc.Schema != "https://json-schema.org/draft/2020-12/schema" || doc.Title != string(typ) {
			t.Errorf("schema of %s: $id %q, $schema %q, title %q", typ, doc.ID, doc.Schema, doc.Title)
		}
	}
	names, _ := fs.Glob(files, "*")
	for _, n := range names {
		if !want[n] {
			t.Errorf("unexpected schema file %s", n)
		}
		delete(want, n)
		b, _ := fs.ReadFile(files, n)
		var doc struct {
			ID string `json:"$id"`
		}
		if err := json.Unmarshal(b, &doc); err != nil || doc.ID != schemas.SchemaBaseURL+n {
			t.Errorf("%s: $id %q, %v; want %q", n, doc.ID, err, schemas.SchemaBaseURL+n)
		}
	}
	for n := range want {
		t.Errorf("missing schema file %s", n)
	}
	if _, err := schemas.Schema("nope"); err == nil {
		t.Error("Schema(unknown) did not fail")
	}
}

// TestValidateRejects: each rule schematest enforces catches a broken event.
func TestValidateRejects(t *testing.T) {
	good := sampleEvent(schemas.TypeStepResult, samplePayloads()[schemas.TypeStepResult])
	b, err := schemas.Encode(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := schematest.Validate(b); err != nil {
		t.Fatalf("good event: %v", err)
	}
	mutate := func(f func(m map[string]any)) []byte {
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		f(m)
		out, _ := json.Marshal(m)
		return out
	}
	data := func(m map[string]any) map[string]any { return m["data"].(map[string]any) }
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"no assembly_id", mutate(func(m map[string]any) { delete(data(m), "assembly_id") }), "assembly_id"},
		{"empty state", mutate(func(m map[string]any) { data(m)["state"] = "" }), "state"},
		{"no observed_at", mutate(func(m map[string]any) { delete(data(m), "observed_at") }), "observed_at"},
		{"bad source", mutate(func(m map[string]any) { data(m)["source"] = "carrier-pigeon" }), "source"},
		{"undeclared member", mutate(func(m map[string]any) { data(m)["surprise"] = 1 }), "surprise"},
		{"no result", mutate(func(m map[string]any) { delete(data(m), "result") }), "result"},
		{"bad specversion", mutate(func(m map[string]any) { m["specversion"] = "0.3" }), "specversion"},
		{"no id", mutate(func(m map[string]any) { delete(m, "id") }), "id"},
		{"type/subject mismatch", mutate(func(m map[string]any) { m["type"] = "transloadit.assembly.completed.v1" }), "subject"},
		{"step mismatch", mutate(func(m map[string]any) { data(m)["step"] = "other" }), "subject"},
		{"id of another assembly", mutate(func(m map[string]any) { m["id"] = "other/result" }), "id"},
		{"time != observed_at", mutate(func(m map[string]any) { m["time"] = "2020-01-01T00:00:00Z" }), "observed_at"},
		{"bad dataschema", mutate(func(m map[string]any) { m["dataschema"] = "https://schemas.tlbridge.dev/transloadit/v1/completed.json" }), "dataschema"},
		{"subject with space", mutate(func(m map[string]any) {
			m["subject"] = strings.Replace(m["subject"].(string), "%20", " ", 1)
		}), "subject"},
		{"unknown type", mutate(func(m map[string]any) { m["type"] = "transloadit.assembly.nope.v1" }), "catalogue"},
		{"not json", []byte("{"), "JSON"},
	}
	for _, tt := range tests {
		err := schematest.Validate(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v; want an error mentioning %q", tt.name, err, tt.want)
		}
	}
}

// TestValidateLongStep: a step name too long for a subject token travels
// whole in data.step, under a hashed token, and still validates; another
// long name with the same start does not match that subject.
func TestValidateLongStep(t *testing.T) {
	p := samplePayloads()[schemas.TypeStepResult].(*schemas.StepResult)
	p.Step = strings.Repeat("very long step.", 400)
	ev := sampleEvent(schemas.TypeStepResult, p)
	if len(ev.Subject) > schemas.MaxSubjectLen {
		t.Fatalf("subject is %d bytes; want at most %d", len(ev.Subject), schemas.MaxSubjectLen)
	}
	b, err := schemas.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := schematest.Validate(b); err != nil {
		t.Fatalf("Validate(long step) = %v", err)
	}
	back, err := schemas.Decode(b)
	if err != nil || back.Data.(*schemas.StepResult).Step != p.Step {
		t.Fatalf("Decode lost the step name: %v", err)
	}
	p.Step += "!"
	ev.Data = p
	if b, err = schemas.Encode(ev); err != nil {
		t.Fatal(err)
	}
	if err := schematest.Validate(b); err == nil || !strings.Contains(err.Error(), "subject") {
		t.Errorf("Validate(step differing past the readable part) = %v; want a subject error", err)
	}
}

// TestEnvelopeSubjectBound: the envelope schema states the subject bound
// the Go code keeps, and refuses a longer subject.
func TestEnvelopeSubjectBound(t *testing.T) {
	b, err := fs.ReadFile(schemas.SchemaFiles(), schemas.EnvelopeSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties struct {
			Subject struct {
				MaxLength int `json:"maxLength"`
			} `json:"subject"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Properties.Subject.MaxLength; got != schemas.MaxSubjectLen {
		t.Errorf("envelope subject maxLength = %d; want schemas.MaxSubjectLen %d", got, schemas.MaxSubjectLen)
	}
	ev := sampleEvent(schemas.TypeCompleted, samplePayloads()[schemas.TypeCompleted])
	ev.Subject = strings.Repeat("p", schemas.MaxSubjectLen) + ".v1.assemblies." + sampleID + ".completed"
	data, err := schemas.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := schematest.Validate(data); err == nil || !strings.Contains(err.Error(), "subject") {
		t.Errorf("Validate(over-long subject) = %v; want a subject error", err)
	}
}

// TestStateMayBeEmpty: only failed and the watch.* events may carry an
// empty state; every other event's moment has one.
func TestStateMayBeEmpty(t *testing.T) {
	mayBeEmpty := map[schemas.Type]bool{schemas.TypeFailed: true, schemas.TypeWatchExpired: true, schemas.TypeWatchFailed: true, schemas.TypeWatchCanceled: true}
	for typ, p := range samplePayloads() {
		p.BaseData().State = ""
		b, err := schemas.Encode(sampleEvent(typ, p))
		if err != nil {
			t.Fatal(err)
		}
		if err := schematest.Validate(b); (err == nil) != mayBeEmpty[typ] {
			t.Errorf("%s with an empty state: Validate() = %v; want valid %v", typ, err, mayBeEmpty[typ])
		}
	}
}
