package stream

import (
	"bytes"
	"os"
	"testing"
)

func TestParseSSE(t *testing.T) {
	for _, tt := range []struct {
		name, in    string
		event, data string
		content     bool
	}{
		{"event and data", "event: assembly_result_finished\ndata: [1]", "assembly_result_finished", "[1]", true},
		{"message", "data: assembly_finished", "", "assembly_finished", true},
		{"lines joined", "data: a\r\ndata:b\rdata:  c", "", "a\nb\n c", true},
		{"bare data line", "data\ndata: x", "", "\nx", true},
		{"only empty data", "data:", "", "", false},
		{"two empty data lines", "data:\ndata:", "", "\n", true},
		{"protocol only", "id: 2b7b\nretry: 3000\n: comment", "", "", false},
		{"empty event name", "event:", "", "", false},
		{"garbage ignored", "foo: bar\ndata: x", "", "x", true},
		{"unknown event", "event: assembly_new_thing\ndata: {}", "assembly_new_thing", "{}", true},
		{"last event name wins", "event: assembly_error\nevent: assembly_upload_finished\ndata: {}", "assembly_upload_finished", "{}", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := parseSSE([]byte(tt.in))
			content := len(f.event) > 0 || len(f.data) > 0
			if string(f.event) != tt.event || string(f.data) != tt.data || content != tt.content {
				t.Errorf("parseSSE(%q) = %q, %q (content %v); want %q, %q (%v)", tt.in, f.event, f.data, content, tt.event, tt.data, tt.content)
			}
		})
	}
}

// FuzzParseSSE checks the line splitting against the rune-by-rune split
// it replaced: the same lines, so the same frame, for any input.
func FuzzParseSSE(f *testing.F) {
	for _, s := range []string{"event: a\ndata: [1]", "data: a\r\ndata:b\rdata:  c", "\r\n\r\ndata\n\ndata: x\r", "data: é\u2028x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		var got [][]byte
		eachLine(msg, func(line []byte) { got = append(got, line) })
		want := bytes.FieldsFunc(msg, func(r rune) bool { return r == '\n' || r == '\r' })
		if len(got) != len(want) {
			t.Fatalf("eachLine(%q) = %q; want %q", msg, got, want)
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("eachLine(%q) = %q; want %q", msg, got, want)
			}
		}
	})
}

// BenchmarkParseSSE parses every frame of the recorded stream.
func BenchmarkParseSSE(b *testing.B) {
	rec, err := os.ReadFile("../internal/transloadit/testdata/sse-recording-two-uploads.txt")
	if err != nil {
		b.Fatal(err)
	}
	frames := bytes.Split(bytes.ReplaceAll(rec, []byte("\r\n"), []byte("\n")), []byte("\n\n"))
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		for _, fr := range frames {
			parseSSE(fr)
		}
	}
}
