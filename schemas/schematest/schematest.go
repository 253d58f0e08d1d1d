// Package schematest checks events against the v1 catalogue, for tests.
// Every test in the repository that produces events passes each encoded
// event to [Check].
//
// It validates the envelope with the CloudEvents SDK (decode, then
// Validate) and against the envelope schema, the data against its type's
// JSON Schema (draft 2020-12) in strict mode (no top-level member the
// schema does not declare, so an undocumented field fails the test that
// produced it), and the cross-field rules of the catalogue: the subject
// names the event's Assembly, type and step; the id starts with the
// Assembly ID; time equals data.observed_at; dataschema is the type's
// schema; and the event survives schemas.Decode and schemas.Encode.
//
// The package imports the CloudEvents SDK and a JSON Schema validator;
// import it from tests only.
package schematest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"sync"
	"testing"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tlbridge/tlbridge/schemas"
)

// strictBase is where the strict wrappers of the type schemas live; they
// exist only inside this package's compiler.
const strictBase = "https://schematest.invalid/strict/"

// Check validates one encoded event and reports every problem with
// t.Errorf. It returns whether the event is valid.
func Check(t testing.TB, data []byte) bool {
	t.Helper()
	if err := Validate(data); err != nil {
		t.Errorf("schematest: %v\nevent: %s", err, data)
		return false
	}
	return true
}

// CheckEvent encodes ev, checks it like [Check] and returns the encoding.
func CheckEvent(t testing.TB, ev schemas.Event) []byte {
	t.Helper()
	b, err := schemas.Encode(ev)
	if err != nil {
		t.Errorf("schematest: encode %s %s: %v", ev.Type, ev.ID, err)
		return nil
	}
	Check(t, b)
	return b
}

// Validate returns nil when data is a valid event of the catalogue, else an
// error describing every rule it breaks.
func Validate(data []byte) error {
	var errs []error
	if err := validateCloudEvent(data); err != nil {
		errs = append(errs, err)
	}
	c, err := compiled()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := c.envelope.Validate(inst); err != nil {
		errs = append(errs, fmt.Errorf("envelope schema: %w", err))
	}
	ev, err := schemas.Decode(data)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if !ev.Type.Known() {
		return errors.Join(append(errs, fmt.Errorf("type %q is not in the catalogue", ev.Type))...)
	}
	if m, ok := inst.(map[string]any); ok {
		if err := c.strict[ev.Type].Validate(m["data"]); err != nil {
			errs = append(errs, fmt.Errorf("data schema %s: %w", ev.Type, err))
		}
	}
	errs = append(errs, crossChecks(ev)...)
	if err := roundTrip(data, ev); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func validateCloudEvent(data []byte) error {
	var ce cloudevent.Event
	if err := json.Unmarshal(data, &ce); err != nil {
		return fmt.Errorf("cloudevents decode: %w", err)
	}
	if err := ce.Validate(); err != nil {
		return fmt.Errorf("cloudevents validate: %w", err)
	}
	if ce.SpecVersion() != schemas.SpecVersion {
		return fmt.Errorf("cloudevents specversion %q", ce.SpecVersion())
	}
	return nil
}

// crossChecks applies the catalogue's rules that span several members.
func crossChecks(ev *schemas.Event) []error {
	var errs []error
	b := ev.Base()
	if b == nil {
		return []error{fmt.Errorf("data of %s is not a payload", ev.Type)}
	}
	if ev.DataSchema != ev.Type.SchemaURL() {
		errs = append(errs, fmt.Errorf("dataschema %q, want %q", ev.DataSchema, ev.Type.SchemaURL()))
	}
	if ev.DataContentType != schemas.DataContentType {
		errs = append(errs, fmt.Errorf("datacontenttype %q", ev.DataContentType))
	}
	if !ev.Time.Equal(b.ObservedAt) {
		errs = append(errs, fmt.Errorf("time %v != data.observed_at %v", ev.Time, b.ObservedAt))
	}
	if !strings.HasPrefix(ev.ID, b.AssemblyID+"/") {
		errs = append(errs, fmt.Errorf("id %q does not start with the assembly id %q", ev.ID, b.AssemblyID))
	}
	if err := subjectOK(ev, b); err != nil {
		errs = append(errs, err)
	}
	return errs
}

func subjectOK(ev *schemas.Event, b *schemas.Base) error {
	for i := 0; i < len(ev.Subject); i++ {
		if c := ev.Subject[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("subject %q has byte %#x", ev.Subject, c)
		}
	}
	mark := "." + schemas.Version + ".assemblies."
	i := strings.Index(ev.Subject, mark)
	if i <= 0 {
		return fmt.Errorf("subject %q lacks %q", ev.Subject, mark)
	}
	p, err := schemas.ParseSubject(ev.Subject[:i], ev.Subject)
	if err != nil {
		return err
	}
	var step string
	if r, ok := ev.Data.(*schemas.StepResult); ok {
		step = r.Step
	}
	// Comparing whole subjects also covers a hashed step token, which
	// ParseSubject cannot turn back into the name.
	if want := schemas.Subject(ev.Subject[:i], b.AssemblyID, ev.Type, step); ev.Subject != want {
		return fmt.Errorf("subject %q says %+v; the event's is %q", ev.Subject, p, want)
	}
	return nil
}

// roundTrip checks that Decode loses nothing: re-encoding the decoded
// event gives the same JSON value.
func roundTrip(data []byte, ev *schemas.Event) error {
	again, err := schemas.Encode(*ev)
	if err != nil {
		return fmt.Errorf("re-encode: %w", err)
	}
	var a, b any
	if err := json.Unmarshal(data, &a); err != nil {
		return err
	}
	if err := json.Unmarshal(again, &b); err != nil {
		return err
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("decode/encode changes the event:\n got %s", again)
	}
	return nil
}

type schemaSet struct {
	envelope *jsonschema.Schema
	strict   map[schemas.Type]*jsonschema.Schema
}

var (
	compileOnce sync.Once
	compiledSet *schemaSet
	compileErr  error
)

func compiled() (*schemaSet, error) {
	compileOnce.Do(func() { compiledSet, compileErr = compile() })
	return compiledSet, compileErr
}

// compile loads every embedded schema under its $id and compiles, per
// type, a wrapper that forbids top-level members the type does not
// declare (the published schemas stay open for additive changes).
func compile() (*schemaSet, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	files := schemas.SchemaFiles()
	names, err := fs.Glob(files, "*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := c.AddResource(schemas.SchemaBaseURL+name, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	set := &schemaSet{strict: make(map[schemas.Type]*jsonschema.Schema)}
	if set.envelope, err = c.Compile(schemas.SchemaBaseURL + schemas.EnvelopeSchemaFile); err != nil {
		return nil, err
	}
	for _, t := range schemas.Types() {
		wrapper := map[string]any{
			"$schema":               "https://json-schema.org/draft/2020-12/schema",
			"$ref":                  t.SchemaURL(),
			"unevaluatedProperties": false,
		}
		if err := c.AddResource(strictBase+string(t)+".json", wrapper); err != nil {
			return nil, err
		}
		if set.strict[t], err = c.Compile(strictBase + string(t) + ".json"); err != nil {
			return nil, fmt.Errorf("schema of %s: %w", t, err)
		}
	}
	return set, nil
}
