package stream_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tlbridge/tlbridge/stream"
)

// BenchmarkDecodeEvent measures ParseFrame on each frame type of the
// recorded stream (bytes/op is the payload size).
func BenchmarkDecodeEvent(b *testing.B) {
	frames := splitFrames(readRecording(b))
	for _, bc := range []struct {
		name string
		f    frame
	}{
		{"result", frames[3]},
		{"upload", frames[1]},
		{"progress", frames[6]},
		{"message", frames[9]},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := []byte(bc.f.data)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := stream.ParseFrame(bc.f.event, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRunRecording measures a whole Run over loopback HTTP: connect,
// read and decode the recorded stream, close.
func BenchmarkRunRecording(b *testing.B) {
	rec := readRecording(b)
	srv := newServer(b, func(n int, w http.ResponseWriter, r *http.Request) { serveBytes(w, rec, 0) })
	c, err := stream.NewClient(stream.Config{URL: srv.URL, AllowList: loopback})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := c.Run(b.Context(), func(stream.Update) { n++ }); err != nil {
			b.Fatal(err)
		}
	}
	if n == 0 {
		b.Fatal("no updates")
	}
}

// BenchmarkRunLargeEvent measures a Run over one large result event sent
// in 16 KiB writes. The SSE library rescans the buffered event for its
// blank line after every read (upstream PR #173), so this is where that
// cost would show.
func BenchmarkRunLargeEvent(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 20, 4 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			body := "event: assembly_result_finished\ndata: [\"s\",{\"id\":\"r\",\"meta\":{\"x\":\"" +
				strings.Repeat("y", size) + "\"}}]\n\ndata: assembly_finished\n\n"
			srv := newServer(b, func(n int, w http.ResponseWriter, r *http.Request) { serveBytes(w, []byte(body), 16<<10) })
			c, err := stream.NewClient(stream.Config{URL: srv.URL, AllowList: loopback})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := c.Run(b.Context(), func(stream.Update) {}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
