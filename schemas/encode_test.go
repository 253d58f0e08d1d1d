package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// encodeStd is Encode as encoding/json writes it, the reference the
// one-pass encoder must match byte for byte.
func encodeStd(ev Event) ([]byte, error) {
	if ev.ID == "" || ev.Source == "" || ev.Type == "" {
		return nil, ErrInvalidEvent
	}
	w := wireEvent{SpecVersion: ev.SpecVersion, ID: ev.ID, Source: ev.Source, Type: ev.Type.CloudEventsType(),
		Subject: ev.Subject, DataContentType: ev.DataContentType, DataSchema: ev.DataSchema}
	if w.SpecVersion == "" {
		w.SpecVersion = SpecVersion
	}
	if w.DataContentType == "" {
		w.DataContentType = DataContentType
	}
	if w.DataSchema == "" && ev.Type.Known() {
		w.DataSchema = ev.Type.SchemaURL()
	}
	if !ev.Time.IsZero() {
		w.Time = ev.Time.UTC().Format(time.RFC3339Nano)
	}
	if ev.Data != nil {
		data, err := marshalNoEscape(ev.Data)
		if err != nil {
			return nil, err
		}
		w.Data = data
	}
	return marshalNoEscape(w)
}

var encodeAt = time.Date(2024, 8, 28, 13, 26, 57, 250_000_000, time.FixedZone("x", 3600))

func encodeFile(s string) File {
	return File{
		ID: s, Name: s + ".png", Size: 12224, Mime: "image/png", IsTusFile: true, FromBatchImport: true,
		SSLURL: "https://h/x.png?a=1&b=<2>", Meta: json.RawMessage(" {\"w\": 1,\n \"s\":\"" + s + "\"} "),
		Extra: map[string]json.RawMessage{"queue": json.RawMessage(`"live"`), "exec_time": json.RawMessage(` 0.4`),
			"empty": nil, s: json.RawMessage(`[1, 2]`)},
	}
}

// encodeCases are events of the types the encoder writes itself, with
// the odd values it has to write as encoding/json does.
func encodeCases(s string, f float64) []Event {
	base := Base{AssemblyID: s, State: "ASSEMBLY_EXECUTING", Source: SourceSSE, ObservedAt: encodeAt, ParentID: s, Truncated: true}
	shadowed := encodeFile(s)
	shadowed.Extra = map[string]json.RawMessage{"id": json.RawMessage(`null`), "meta": json.RawMessage(`{}`), "size": json.RawMessage(`1`)}
	var exp int64 = 7
	data := []any{
		&StepResult{Base: base, Step: s, Result: encodeFile(s)},
		&StepResult{Base: Base{}, Result: shadowed},
		&StepResult{},
		(*StepResult)(nil),
		&UploadFinished{Base: base, Upload: encodeFile(s)},
		&UploadFinished{Base: base, Upload: File{Extra: map[string]json.RawMessage{"a": json.RawMessage(`1`)}}},
		&ExecutionProgress{Base: base, ProgressCombined: f, PerFile: []FileProgress{{OriginalID: s, Progress: f}, {Progress: 1e-7}}},
		&ExecutionProgress{Base: base},
		&UploadProgress{Base: base, BytesReceived: 10, BytesExpected: &exp},
		&UploadProgress{Base: base},
		&Completed{Base: base, Message: s, Summary: Summary{Steps: []StepSummary{{Name: s, Results: 1}}}},
		json.RawMessage(`{"a": [1, 2]}`),
		nil,
	}
	var evs []Event
	for i, d := range data {
		evs = append(evs, Event{ID: fmt.Sprintf("%s/%d", s, i), Source: s, Type: TypeStepResult, Subject: s, Time: encodeAt, Data: d})
	}
	evs = append(evs, Event{SpecVersion: "1.0", ID: s, Source: s, Type: Type(s), DataContentType: s, DataSchema: s})
	return evs
}

func checkSameEncoding(t *testing.T, ev Event) {
	t.Helper()
	got, err := Encode(ev)
	want, wantErr := encodeStd(ev)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("Encode(%+v) error = %v; encoding/json's = %v", ev, err, wantErr)
	}
	if err == nil && !bytes.Equal(got, want) {
		t.Fatalf("Encode(%+v) =\n%s\nencoding/json gives\n%s", ev, got, want)
	}
	checkAppendEncode(t, ev, want, wantErr)
}

// checkAppendEncode checks that AppendEncode appends what Encode returns
// after what the buffer held, and on error leaves the buffer as it was.
func checkAppendEncode(t *testing.T, ev Event, want []byte, wantErr error) {
	t.Helper()
	const prefix = "held:"
	got, err := AppendEncode(append(make([]byte, 0, 8), prefix...), ev)
	switch {
	case (err != nil) != (wantErr != nil):
		t.Fatalf("AppendEncode(%+v) error = %v; encoding/json's = %v", ev, err, wantErr)
	case err != nil && string(got) != prefix:
		t.Fatalf("AppendEncode(%+v) failed with %q in the buffer; want it left at %q", ev, got, prefix)
	case err == nil && string(got) != prefix+string(want):
		t.Fatalf("AppendEncode(%+v) =\n%s\nwant\n%s%s", ev, got, prefix, want)
	}
}

func TestEncodeMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"plain", "", "quote\" back\\slash\n\t\r\b\f\x01\x7f", "<&>", "\u2028\u2029é😀", "bad\xff\xfeutf8"} {
		for _, f := range []float64{0, 50, 100, 33.333333333333336, 1e-7, 1e21, 123456789012345680000, math.Copysign(0, -1)} {
			for _, ev := range encodeCases(s, f) {
				checkSameEncoding(t, ev)
			}
		}
	}
}

func TestEncodeRefusesWhatEncodingJSONRefuses(t *testing.T) {
	base := Base{ObservedAt: encodeAt}
	for _, d := range []Payload{
		&ExecutionProgress{Base: base, ProgressCombined: math.NaN()},
		&ExecutionProgress{Base: base, PerFile: []FileProgress{{Progress: math.Inf(1)}}},
		&StepResult{Base: Base{ObservedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		&StepResult{Base: base, Result: File{Meta: json.RawMessage(`{"a":`)}},
		&UploadFinished{Base: base, Upload: File{Extra: map[string]json.RawMessage{"x": json.RawMessage(`nope`)}}},
	} {
		ev := Event{ID: "i", Source: "s", Type: TypeStepResult, Data: d}
		if _, err := Encode(ev); err == nil {
			t.Errorf("Encode(%+v) succeeded; want an error", d)
		}
		checkSameEncoding(t, ev)
	}
}

func FuzzEncodeMatchesEncodingJSON(f *testing.F) {
	f.Add("plain", 50.5)
	f.Add("\u2028<&>\xff\"\\", 1e-9)
	f.Fuzz(func(t *testing.T, s string, v float64) {
		for _, ev := range encodeCases(s, v) {
			checkSameEncoding(t, ev)
		}
	})
}

// appendRawStd is appendRaw as json.Compact alone does it.
func appendRawStd(b []byte, raw []byte) ([]byte, error) {
	buf := bytes.NewBuffer(b)
	err := json.Compact(buf, raw)
	return buf.Bytes(), err
}

// FuzzAppendRawMatchesCompact holds appendRaw to json.Compact on any
// input: the same bytes, and the same error.
func FuzzAppendRawMatchesCompact(f *testing.F) {
	for _, s := range []string{
		`{"width":1364,"date_recorded":null,"aspect_ratio":"3.327"}`,
		" [ 1 , \"a b\" ,{\"c\" :\t-0.5e3} ]\n",
		"\"\xff\u2028<&>\"",
		`{"a":`, `[01]`, `1 2`, ``, `nope`,
		strings.Repeat("[", 1001) + strings.Repeat("]", 1001),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := appendRaw([]byte("k:"), raw)
		want, wantErr := appendRawStd([]byte("k:"), raw)
		if !bytes.Equal(got, want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("appendRaw(%q) = %q, %v; json.Compact gives %q, %v", raw, got, err, want, wantErr)
		}
	})
}

// BenchmarkEncode compares Encode with encoding/json on a result event
// carrying a typical result file.
func BenchmarkEncode(b *testing.B) {
	f := encodeFile("8197cd2434784ec4b63340c6a06169eb")
	f.Meta = json.RawMessage(`{"width":1364,"height":410,"date_recorded":null,"aspect_ratio":"3.327","has_transparency":true,"colorspace":"RGB","average_color":"#4f4c4f"}`)
	ev := NewEvent(TypeStepResult, "2b7beaddf0a046e2ada603346f2cbee1/result/thumb/8197", "tlbridge/test",
		Subject("", "2b7beaddf0a046e2ada603346f2cbee1", TypeStepResult, "thumb"), encodeAt,
		&StepResult{Base: Base{AssemblyID: "2b7beaddf0a046e2ada603346f2cbee1", State: "ASSEMBLY_EXECUTING", Source: SourceSSE, ObservedAt: encodeAt}, Step: "thumb", Result: f})
	for _, bc := range []struct {
		name string
		enc  func(Event) ([]byte, error)
	}{{"onepass", Encode}, {"encoding_json", encodeStd}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.enc(ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
