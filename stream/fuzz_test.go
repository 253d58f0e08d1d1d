package stream_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tlbridge/tlbridge/stream"
)

// FuzzParseFrame checks ParseFrame's invariants on any input: it never
// panics, Raw is the data, a known event kind comes with its payload
// unless the error says why not, assembly_error always carries a status,
// and errors are ErrMalformedEvent. The seed corpus is every frame of the
// recorded stream plus odd shapes.
func FuzzParseFrame(f *testing.F) {
	for _, fr := range splitFrames(readRecording(f)) {
		f.Add(fr.event, []byte(fr.data))
	}
	for _, s := range [][2]string{
		{"", ""},
		{"message", "assembly_finished"},
		{"assembly_upload_finished", "null"},
		{"assembly_upload_finished", `{"size":"x"}`},
		{"assembly_result_finished", `["s",null]`},
		{"assembly_result_finished", `[1,{}]`},
		{"assembly_result_finished", `["s",{},{}]`},
		{"assembly_execution_progress", `{"progress_combined":null}`},
		{"assembly_error", `"text"`},
		{"assembly_error", `not json`},
		{"assembly_error", `{"errno":-2,"code":"ENOENT","syscall":"open"}`},
		{"assembly_new", "\x00\xff"},
	} {
		f.Add(s[0], []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, event string, data []byte) {
		in := bytes.Clone(data)
		u, err := stream.ParseFrame(event, data)
		if !bytes.Equal(data, in) || !bytes.Equal(u.Raw, in) {
			t.Fatalf("data modified or Raw %q != data %q", u.Raw, in)
		}
		if err != nil && !errors.Is(err, stream.ErrMalformedEvent) {
			t.Fatalf("error %v does not wrap ErrMalformedEvent", err)
		}
		if event != "" && event != "message" && u.Name != event {
			t.Fatalf("Name = %q; want the event name %q", u.Name, event)
		}
		if len(u.Name) > 128 && (event == "" || event == "message") {
			t.Fatalf("message Name of %d bytes; want short names only", len(u.Name))
		}
		missing := false
		switch u.Kind {
		case stream.KindUploadFinished:
			missing = u.Upload == nil
		case stream.KindResultFinished:
			missing = u.Result == nil
		case stream.KindExecutionProgress:
			missing = u.Progress == nil
		case stream.KindAssemblyError:
			if u.Error == nil {
				t.Fatal("assembly_error without a status")
			}
			return // it keeps a status even when the payload is not JSON
		}
		if missing != (err != nil) {
			t.Fatalf("kind %v: payload missing %v, error %v; want a payload exactly when there is no error", u.Kind, missing, err)
		}
	})
}
