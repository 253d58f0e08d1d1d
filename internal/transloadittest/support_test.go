package transloadittest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

// fastTick keeps lifecycles short; tests never depend on its length.
const fastTick = 2 * time.Millisecond

func newServer(t *testing.T, opts ...transloadittest.Option) *transloadittest.Server {
	t.Helper()
	opts = append([]transloadittest.Option{transloadittest.WithTick(fastTick), transloadittest.WithLogf(t.Logf)}, opts...)
	srv := transloadittest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustCreate(t *testing.T, srv *transloadittest.Server, sc transloadittest.Script) *transloadit.Status {
	t.Helper()
	st, err := srv.Create(testContext(t), sc)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return st
}

func awaitTerminal(t *testing.T, srv *transloadittest.Server, id string) *transloadit.Status {
	t.Helper()
	err := srv.AwaitState(testContext(t), id, func(st *transloadit.Status) bool { return st.Terminal() })
	if err != nil {
		t.Fatalf("AwaitState(%s, terminal): %v", id, err)
	}
	st, _ := srv.Status(id)
	return st
}

// form is a create request's fields and files, in order.
type form struct {
	fields [][2]string
	files  []formFile
}

type formFile struct {
	field, name string
	data        []byte
}

func (f *form) add(k, v string) *form { f.fields = append(f.fields, [2]string{k, v}); return f }

func (f *form) file(field, name string, data []byte) *form {
	f.files = append(f.files, formFile{field, name, data})
	return f
}

func (f *form) encode(t *testing.T) (body *bytes.Buffer, contentType string) {
	t.Helper()
	body = new(bytes.Buffer)
	mw := multipart.NewWriter(body)
	for _, kv := range f.fields {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, ff := range f.files {
		w, err := mw.CreateFormFile(ff.field, ff.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(ff.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return body, mw.FormDataContentType()
}

// do sends a request and returns the status code, the body and headers.
func do(t *testing.T, client *http.Client, method, rawURL string, f *form, header http.Header) (int, []byte, http.Header) {
	t.Helper()
	var body io.Reader
	ct := ""
	if f != nil {
		body, ct = f.encode(t)
	}
	req, err := http.NewRequestWithContext(testContext(t), method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, rawURL, err)
	}
	return resp.StatusCode, b, resp.Header
}

func get(t *testing.T, srv *transloadittest.Server, rawURL string) (int, []byte, http.Header) {
	t.Helper()
	return do(t, srv.Client(), http.MethodGet, rawURL, nil, nil)
}

// createHTTP posts params (marshalled unless a string) and the form to
// the base host.
func createHTTP(t *testing.T, srv *transloadittest.Server, params any, f *form) (int, []byte) {
	t.Helper()
	if f == nil {
		f = &form{}
	}
	p, ok := params.(string)
	if !ok {
		b, err := json.Marshal(params)
		if err != nil {
			t.Fatal(err)
		}
		p = string(b)
	}
	f.fields = append([][2]string{{"params", p}}, f.fields...)
	code, body, _ := do(t, srv.Client(), http.MethodPost, srv.URL+"/assemblies", f, nil)
	return code, body
}

func mustCreateHTTP(t *testing.T, srv *transloadittest.Server, params any, f *form) *transloadit.Status {
	t.Helper()
	code, body := createHTTP(t, srv, params, f)
	if code != http.StatusOK {
		t.Fatalf("POST /assemblies = %d %s; want 200", code, body)
	}
	return decode(t, body)
}

func decode(t *testing.T, body []byte) *transloadit.Status {
	t.Helper()
	st, err := transloadit.DecodeStatus(body)
	if err != nil {
		t.Fatalf("DecodeStatus(%.200s): %v", body, err)
	}
	return st
}

// keys returns the top-level keys of a JSON object.
func keys(t *testing.T, raw []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %.200s", err, raw)
	}
	return m
}

// sseFrame is one frame of an update stream.
type sseFrame struct {
	ID, Event, Data, Comment string
}

// name is the message or event name of a frame.
func (f sseFrame) name() string {
	if f.Event != "" {
		return f.Event
	}
	return f.Data
}

// sseReader reads an update stream frame by frame, with a bounded line
// length. It is the minimal SSE parser the wire format needs.
type sseReader struct {
	resp   *http.Response
	br     *bufio.Reader
	cancel context.CancelFunc
}

// openStream connects to an update stream and requires 200.
func openStream(t *testing.T, srv *transloadittest.Server, streamURL string) *sseReader {
	t.Helper()
	r, code, body := tryStream(t, srv, streamURL, true)
	if r == nil {
		t.Fatalf("GET %s = %d %s; want 200", streamURL, code, body)
	}
	return r
}

// tryStream connects; on a non-200 it returns nil, the code and the body.
func tryStream(t *testing.T, srv *transloadittest.Server, streamURL string, accept bool) (*sseReader, int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, streamURL, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if accept {
		req.Header.Set("Accept", "text/event-stream")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", streamURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		cancel()
		return nil, resp.StatusCode, b
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("stream Content-Type = %q; want text/event-stream", ct)
	}
	r := &sseReader{resp: resp, br: bufio.NewReaderSize(resp.Body, 1<<20), cancel: cancel}
	t.Cleanup(r.Close)
	return r, resp.StatusCode, nil
}

func (r *sseReader) Close() {
	r.cancel()
	r.resp.Body.Close()
}

// Next returns the next frame, or the read error (io.EOF at a clean end).
func (r *sseReader) Next() (sseFrame, error) {
	var f sseFrame
	seen := false
	for {
		line, err := r.br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, io.EOF) && (seen || len(line) > 0) {
				err = io.ErrUnexpectedEOF
			}
			return f, err
		}
		s := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
		if s == "" {
			if seen {
				return f, nil
			}
			continue
		}
		seen = true
		field, value, _ := strings.Cut(s, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			f.Comment = value
		case "id":
			f.ID = value
		case "event":
			f.Event = value
		case "data":
			if f.Data != "" {
				f.Data += "\n"
			}
			f.Data += value
		default:
			return f, fmt.Errorf("unknown SSE field %q", field)
		}
	}
}

// All reads frames until the stream ends; a clean end gives a nil error.
func (r *sseReader) All() ([]sseFrame, error) {
	var frames []sseFrame
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			return frames, nil
		}
		if err != nil {
			return frames, err
		}
		frames = append(frames, f)
	}
}

// names are the message and event names of frames after the opening id.
func names(frames []sseFrame) []string {
	var out []string
	for _, f := range frames {
		if f.ID != "" && f.Data == "" {
			continue
		}
		out = append(out, f.name())
	}
	return out
}

// results decodes the assembly_result_finished frames into step names and
// files.
func results(t *testing.T, frames []sseFrame) (steps []string, files []transloadit.File) {
	t.Helper()
	for _, f := range frames {
		if f.Event != "assembly_result_finished" {
			continue
		}
		var pair []json.RawMessage
		if err := json.Unmarshal([]byte(f.Data), &pair); err != nil || len(pair) != 2 {
			t.Fatalf("assembly_result_finished data %q: want [step, result] (%v)", f.Data, err)
		}
		var step string
		var file transloadit.File
		if err := json.Unmarshal(pair[0], &step); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(pair[1], &file); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, step)
		files = append(files, file)
	}
	return steps, files
}

func count(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

func withQuery(rawURL string, kv ...string) string {
	u, _ := url.Parse(rawURL)
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}
