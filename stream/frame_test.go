package stream_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/stream"
)

type jsonRaw = json.RawMessage

func ptr[T any](v T) *T { return &v }

func TestParseFrame(t *testing.T) {
	for _, tt := range []struct {
		name    string
		event   string
		data    string
		want    stream.Update // Raw is always data and not repeated here
		wantErr bool
	}{
		{"message", "", "assembly_finished", stream.Update{Kind: stream.KindAssemblyFinished, Name: "assembly_finished"}, false},
		{"message with spaces", "", " assembly_uploading_finished\r", stream.Update{Kind: stream.KindUploadingFinished, Name: "assembly_uploading_finished"}, false},
		{"message typed as message", "message", "assembly_upload_meta_data_extracted", stream.Update{Kind: stream.KindMetaDataExtracted, Name: "assembly_upload_meta_data_extracted"}, false},
		{"message sent as event", "assembly_finished", "", stream.Update{Kind: stream.KindAssemblyFinished, Name: "assembly_finished"}, false},
		{"unknown message", "", "assembly_replaying", stream.Update{Kind: stream.KindUnknown, Name: "assembly_replaying"}, false},
		{"unknown message, not a name", "", `{"x":1}`, stream.Update{Kind: stream.KindUnknown}, false},
		{"unknown message, too long", "", strings.Repeat("a", 129), stream.Update{Kind: stream.KindUnknown}, false},
		{"unknown event", "assembly_new_thing", `{"a":1}`, stream.Update{Kind: stream.KindUnknown, Name: "assembly_new_thing"}, false},
		{"unknown event, no data", "ping", "", stream.Update{Kind: stream.KindUnknown, Name: "ping"}, false},
		{"upload", "assembly_upload_finished", `{"id":"u1","size":3,"user_meta":{"k":"v"}}`, stream.Update{
			Kind: stream.KindUploadFinished, Name: "assembly_upload_finished",
			Upload: &transloadit.File{ID: "u1", Size: 3, Extra: map[string]jsonRaw{"user_meta": jsonRaw(`{"k":"v"}`)}},
		}, false},
		{"upload null", "assembly_upload_finished", "null", stream.Update{Kind: stream.KindUploadFinished, Name: "assembly_upload_finished"}, true},
		{"upload array", "assembly_upload_finished", "[]", stream.Update{Kind: stream.KindUploadFinished, Name: "assembly_upload_finished"}, true},
		{"upload bad type", "assembly_upload_finished", `{"size":"big"}`, stream.Update{Kind: stream.KindUploadFinished, Name: "assembly_upload_finished"}, true},
		{"upload truncated", "assembly_upload_finished", `{"id":"u1"`, stream.Update{Kind: stream.KindUploadFinished, Name: "assembly_upload_finished"}, true},
		{"result", "assembly_result_finished", `["thumb",{"id":"r1","cost":5}]`, stream.Update{
			Kind: stream.KindResultFinished, Name: "assembly_result_finished", Step: "thumb",
			Result: &transloadit.File{ID: "r1", Extra: map[string]jsonRaw{"cost": jsonRaw("5")}},
		}, false},
		{"result multi-line data", "assembly_result_finished", "[\"thumb\",\n{\"id\":\"r1\"}]", stream.Update{
			Kind: stream.KindResultFinished, Name: "assembly_result_finished", Step: "thumb", Result: &transloadit.File{ID: "r1"},
		}, false},
		{"result object", "assembly_result_finished", `{"id":"r1"}`, stream.Update{Kind: stream.KindResultFinished, Name: "assembly_result_finished"}, true},
		{"result one element", "assembly_result_finished", `["thumb"]`, stream.Update{Kind: stream.KindResultFinished, Name: "assembly_result_finished"}, true},
		{"result three elements", "assembly_result_finished", `["thumb",{},{}]`, stream.Update{Kind: stream.KindResultFinished, Name: "assembly_result_finished"}, true},
		{"result step not a string", "assembly_result_finished", `[1,{"id":"r1"}]`, stream.Update{Kind: stream.KindResultFinished, Name: "assembly_result_finished"}, true},
		{"result file null", "assembly_result_finished", `["thumb",null]`, stream.Update{Kind: stream.KindResultFinished, Name: "assembly_result_finished"}, true},
		{"result not json", "assembly_result_finished", `[thumb`, stream.Update{Kind: stream.KindResultFinished, Name: "assembly_result_finished"}, true},
		{"progress", "assembly_execution_progress", `{"progress_combined":42.5,"progress_per_original_file":[{"original_id":"o1","progress":7}]}`, stream.Update{
			Kind: stream.KindExecutionProgress, Name: "assembly_execution_progress",
			Progress: &stream.Progress{Combined: ptr(42.5), PerFile: []stream.FileProgress{{OriginalID: "o1", Progress: 7}}},
		}, false},
		{"progress without combined", "assembly_execution_progress", `{}`, stream.Update{
			Kind: stream.KindExecutionProgress, Name: "assembly_execution_progress", Progress: &stream.Progress{},
		}, false},
		{"progress not object", "assembly_execution_progress", `50`, stream.Update{Kind: stream.KindExecutionProgress, Name: "assembly_execution_progress"}, true},
		{"assembly error", "assembly_error", `{"error":"WORKER_JOB_ERROR","message":"boom","ok":null}`, stream.Update{
			Kind: stream.KindAssemblyError, Name: "assembly_error",
			Error: &transloadit.Status{Error: "WORKER_JOB_ERROR", Message: "boom"},
		}, false},
		{"assembly error string", "assembly_error", `"something broke"`, stream.Update{
			Kind: stream.KindAssemblyError, Name: "assembly_error", Error: &transloadit.Status{Message: "something broke"},
		}, false},
		{"assembly error text", "assembly_error", `Internal error`, stream.Update{
			Kind: stream.KindAssemblyError, Name: "assembly_error", Error: &transloadit.Status{Message: "Internal error"},
		}, true},
		{"assembly error bad object", "assembly_error", `{"error":`, stream.Update{
			Kind: stream.KindAssemblyError, Name: "assembly_error", Error: &transloadit.Status{Message: `{"error":`},
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stream.ParseFrame(tt.event, []byte(tt.data))
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, stream.ErrMalformedEvent)) {
				t.Fatalf("ParseFrame(%q, %q) error = %v; want error %v (ErrMalformedEvent)", tt.event, tt.data, err, tt.wantErr)
			}
			want := tt.want
			want.Raw = []byte(tt.data)
			if !reflect.DeepEqual(visible(got), visible(want)) {
				t.Errorf("ParseFrame(%q, %q) =\n%+v\nwant\n%+v", tt.event, tt.data, got, want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[stream.Kind]string{
		stream.KindUnknown:          "unknown",
		stream.KindResultFinished:   stream.EvResultFinished,
		stream.KindAssemblyFinished: stream.MsgAssemblyFinished,
		stream.Kind(99):             "Kind(99)",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q; want %q", int(k), got, want)
		}
	}
}

// TestOddFramesDelivered runs a stream of unknown, malformed and
// protocol-only frames through a Client: nothing crashes, nothing known
// arrives without its payload, nothing with content is dropped, and
// protocol frames (id only, retry only, comments) are not updates.
func TestOddFramesDelivered(t *testing.T) {
	verifyNoLeaks(t)
	body := strings.Join([]string{
		"id: 2b7beaddf0a046e2ada603346f2cbee1",
		"",
		": a comment",
		"",
		"retry: 3000",
		"",
		"data: assembly_replaying",
		"",
		"event: assembly_new_thing",
		`data: {"a":1}`,
		"",
		"event: assembly_result_finished",
		"data: {not json",
		"",
		"event: assembly_upload_finished",
		`data: {"id":"u1",`,
		`data: "name":"two lines"}`,
		"",
		"event: assembly_error",
		"data: plain text failure",
		"",
		"data: assembly_finished",
		"",
		"",
	}, "\n")
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		startStream(w)
		send(w, body)
	})
	var got recorder
	if err := runClient(t, testConfig(t, srv.URL), &got); err != nil {
		t.Fatalf("Run = %v", err)
	}
	us := got.got()
	wantKinds := []stream.Kind{stream.KindUnknown, stream.KindUnknown, stream.KindUnknown, stream.KindUploadFinished, stream.KindAssemblyError, stream.KindAssemblyFinished}
	wantNames := []string{"assembly_replaying", "assembly_new_thing", "assembly_result_finished", "assembly_upload_finished", "assembly_error", "assembly_finished"}
	if !reflect.DeepEqual(kinds(us), wantKinds) || !reflect.DeepEqual(names(us), wantNames) {
		t.Fatalf("updates = %v %v; want %v %v", kinds(us), names(us), wantKinds, wantNames)
	}
	if us[0].Err != nil || us[1].Err != nil || string(us[1].Raw) != `{"a":1}` {
		t.Errorf("unknown updates carry Err %v / %v, Raw %q", us[0].Err, us[1].Err, us[1].Raw)
	}
	if !errors.Is(us[2].Err, stream.ErrMalformedEvent) || us[2].Result != nil || string(us[2].Raw) != "{not json" {
		t.Errorf("malformed result = %+v; want KindUnknown with Err and Raw", us[2])
	}
	if us[3].Err != nil || us[3].Upload == nil || us[3].Upload.Name != "two lines" {
		t.Errorf("two-line upload = %+v", us[3])
	}
	if !errors.Is(us[4].Err, stream.ErrMalformedEvent) || us[4].Error == nil || us[4].Error.Message != "plain text failure" {
		t.Errorf("text assembly_error = %+v; want KindAssemblyError with Message and Err", us[4])
	}
}

// TestRedirectOffAllowList: a redirect is followed only inside the allow
// list; one that leaves it ends Run without a request to the target.
func TestRedirectOffAllowList(t *testing.T) {
	verifyNoLeaks(t)
	rec := readRecording(t)
	target := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) { serveBytes(w, rec, 0) })
	for _, tt := range []struct {
		name    string
		to      string
		wantErr error
	}{
		{"inside", target.URL, nil},
		{"outside", strings.Replace(target.URL, "127.0.0.1", "localhost", 1), transloadit.ErrURLNotAllowed},
		{"another path", strings.Replace(target.URL, "/ws1?", "/admin?", 1), transloadit.ErrURLShape},
		{"another assembly", strings.Replace(target.URL, testAssemblyID, "7828446e5acd4aa996dce3455ec914e9", 1), transloadit.ErrURLWrongAssembly},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := target.requests()
			srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tt.to, http.StatusTemporaryRedirect)
			})
			var got recorder
			err := runClient(t, testConfig(t, srv.URL), &got)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Run = %v; want %v", err, tt.wantErr)
			}
			wantTarget := 1
			if tt.wantErr != nil {
				wantTarget = 0
			}
			if n := target.requests() - before; n != wantTarget || srv.requests() != 1 {
				t.Errorf("redirector saw %d, target %d requests; want 1 and %d", srv.requests(), n, wantTarget)
			}
		})
	}
}

// TestHTTPClientTimeoutIgnored: a caller's client with an overall Timeout
// would cut every long stream; the stream outlives it.
func TestHTTPClientTimeoutIgnored(t *testing.T) {
	verifyNoLeaks(t)
	rec := readRecording(t)
	frames := strings.SplitAfter(string(rec), "\n\n")
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		startStream(w)
		for _, f := range frames {
			send(w, f)
			time.Sleep(20 * time.Millisecond) // 200ms in all, four times the Timeout
		}
	})
	cfg := testConfig(t, srv.URL)
	cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond}
	var got recorder
	if err := runClient(t, cfg, &got); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if !reflect.DeepEqual(kinds(got.got()), recordingKinds) || srv.requests() != 1 {
		t.Errorf("kinds %v, requests %d; want the recording over 1 connection", kinds(got.got()), srv.requests())
	}
}
