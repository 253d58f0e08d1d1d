package transloadittest_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

// TestCompleteOverHTTPAndSSE creates an Assembly with two multipart files
// over HTTP, follows it on the update stream to the end, and checks the
// final status.
func TestCompleteOverHTTPAndSSE(t *testing.T) {
	srv := newServer(t)
	photo := []byte(strings.Repeat("jpeg bytes ", 1000))
	clip := []byte(strings.Repeat("mp4 bytes ", 3000))
	// The key order of "steps" is the Step order, so params are written
	// by hand.
	raw := `{"steps":{":original":{"robot":"/upload/handle"},"resized":{"robot":"/image/resize","use":":original"},"exported":{"robot":"/s3/store","use":["resized",":original"]}},"x_sim":{"start_on_stream":true}}`
	created := mustCreateHTTP(t, srv, raw, (&form{}).file("file", "photo.jpg", photo).file("file", "clip.mp4", clip))

	id := created.AssemblyID
	if !transloadit.ValidAssemblyID(id) {
		t.Fatalf("assembly_id %q is not 32 hex", id)
	}
	if created.OK != transloadit.StateUploading {
		t.Errorf("creation ok = %q; want %q", created.OK, transloadit.StateUploading)
	}
	if want := transloadit.StatusURL(srv.MachineURL, id); created.AssemblySSLURL != want {
		t.Errorf("assembly_ssl_url = %q; want %q", created.AssemblySSLURL, want)
	}
	if want := created.WebsocketURL + "?assembly=" + id; created.UpdateStreamURL != want || !strings.HasPrefix(want, srv.MachineURL+"/ws") {
		t.Errorf("update_stream_url = %q; want %q on the machine host", created.UpdateStreamURL, want)
	}
	if created.TusURL != srv.MachineURL+"/resumable/files/" {
		t.Errorf("tus_url = %q", created.TusURL)
	}

	frames, err := openStream(t, srv, created.UpdateStreamURL).All()
	if err != nil {
		t.Fatalf("stream ended with %v; want a clean close after assembly_finished", err)
	}
	if frames[0].ID != id || frames[0].Data != "" {
		t.Fatalf("first frame = %+v; want only id: %s", frames[0], id)
	}
	want := []string{
		"assembly_upload_finished", "assembly_upload_finished",
		"assembly_uploading_finished", "assembly_upload_meta_data_extracted",
	}
	for range 8 { // 2 :original + 2 resized + 4 exported
		want = append(want, "assembly_result_finished")
	}
	want = append(want, "assembly_finished")
	if got := names(frames); !slices.Equal(got, want) {
		t.Fatalf("stream = %v\nwant %v", got, want)
	}
	for i, f := range frames[1:3] {
		var up transloadit.File
		if err := json.Unmarshal([]byte(f.Data), &up); err != nil {
			t.Fatal(err)
		}
		data := [][]byte{photo, clip}[i]
		sum := md5.Sum(data)
		if up.Name != []string{"photo.jpg", "clip.mp4"}[i] || up.Size != int64(len(data)) || up.MD5Hash != hex.EncodeToString(sum[:]) || up.Field != "file" {
			t.Errorf("upload %d = %s %d %s %q; want the posted file", i, up.Name, up.Size, up.MD5Hash, up.Field)
		}
	}
	steps, files := results(t, frames)
	if want := []string{":original", ":original", "resized", "resized", "exported", "exported", "exported", "exported"}; !slices.Equal(steps, want) {
		t.Errorf("result steps = %v; want %v", steps, want)
	}
	if files[2].Mime != "image/jpeg" || files[3].Mime != "image/png" {
		t.Errorf("resized mimes = %s, %s; want image/jpeg, image/png", files[2].Mime, files[3].Mime)
	}
	for _, f := range files {
		if !transloadit.ValidAssemblyID(f.ID) || f.OriginalID == "" || f.SSLURL == "" || len(f.Meta) == 0 {
			t.Errorf("result %+v lacks id, original_id, ssl_url or meta", f)
		}
	}

	code, body, _ := get(t, srv, created.AssemblySSLURL)
	if code != http.StatusOK {
		t.Fatalf("GET status = %d", code)
	}
	st := decode(t, body)
	if st.Outcome() != transloadit.OutcomeCompleted || st.Message == "" {
		t.Errorf("final status: outcome %v, message %q; want completed", st.Outcome(), st.Message)
	}
	if got := st.Results.Steps(); !slices.Equal(got, []string{":original", "resized", "exported"}) {
		t.Errorf("results steps = %v", got)
	}
	if n := st.Results.Count(); n != 8 || len(st.Uploads) != 2 {
		t.Errorf("status has %d results, %d uploads; want 8, 2", n, len(st.Uploads))
	}
	if want := int64(len(photo) + len(clip)); st.BytesReceived != want || st.BytesExpected == nil || *st.BytesExpected != want {
		t.Errorf("bytes_received %d, bytes_expected %v; want %d", st.BytesReceived, st.BytesExpected, want)
	}
	if st.ExecutionDuration == nil || st.UploadDuration == nil || st.LastJobCompleted == "" {
		t.Errorf("durations missing: %v %v %q", st.ExecutionDuration, st.UploadDuration, st.LastJobCompleted)
	}
}

// TestStreamWireFormat checks the bytes of a stream against the
// documented framing.
func TestStreamWireFormat(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, transloadittest.Script{StartOnStream: true, EmitExecutionProgress: true})
	r := openStream(t, srv, created.UpdateStreamURL)
	var raw strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := r.resp.Body.Read(buf)
		raw.WriteString(string(buf[:n]))
		if err != nil {
			break
		}
	}
	text := raw.String()
	if !strings.HasPrefix(text, "id: "+created.AssemblyID+"\n\n") {
		t.Fatalf("stream starts %q; want the id line and a blank line", text[:min(len(text), 60)])
	}
	if !strings.HasSuffix(text, "\n\ndata: assembly_finished\n\n") {
		t.Fatalf("stream ends %q; want data: assembly_finished", text[max(0, len(text)-60):])
	}
	for _, block := range strings.Split(strings.TrimSuffix(text, "\n\n"), "\n\n")[1:] {
		lines := strings.Split(block, "\n")
		switch {
		case len(lines) == 1 && strings.HasPrefix(lines[0], "data: assembly_"):
		case len(lines) == 2 && strings.HasPrefix(lines[0], "event: assembly_") && strings.HasPrefix(lines[1], "data: "):
			if !json.Valid([]byte(strings.TrimPrefix(lines[1], "data: "))) {
				t.Errorf("event payload is not one line of JSON: %q", lines[1])
			}
		default:
			t.Errorf("frame %q is neither a message nor an event", block)
		}
	}
	if !strings.Contains(text, "event: assembly_execution_progress\ndata: {\"progress_combined\":100,\"progress_per_original_file\":[]}\n\n") {
		t.Error("no final execution progress of 100")
	}
}

// TestCompletedStatusMatchesSeed compares a completed status's members
// with the documented example's.
func TestCompletedStatusMatchesSeed(t *testing.T) {
	seed, err := os.ReadFile("../transloadit/testdata/seed-status.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t)
	id := mustCreate(t, srv, transloadittest.Script{}).AssemblyID
	awaitTerminal(t, srv, id)
	code, body, _ := get(t, srv, srv.URL+"/assemblies/"+id)
	if code != http.StatusOK {
		t.Fatalf("GET = %d", code)
	}
	got, want := keys(t, body), keys(t, seed)
	// Newer statuses than the example also carry update_stream_url.
	want["update_stream_url"] = nil
	if d := keyDiff(got, want); d != "" {
		t.Errorf("status members differ from the example: %s", d)
	}
	var gotSt, wantSt struct {
		Uploads []map[string]json.RawMessage            `json:"uploads"`
		Results map[string][]map[string]json.RawMessage `json:"results"`
	}
	json.Unmarshal(body, &gotSt)
	json.Unmarshal(seed, &wantSt)
	if d := keyDiff(gotSt.Uploads[0], wantSt.Uploads[0]); d != "" {
		t.Errorf("upload members differ: %s", d)
	}
	wantResult := wantSt.Results[":original"][0]
	// The example predates the snake_case spelling results use today.
	wantResult["queue_time"], wantResult["exec_time"] = wantResult["queueTime"], wantResult["execTime"]
	delete(wantResult, "queueTime")
	delete(wantResult, "execTime")
	for step, files := range gotSt.Results {
		if d := keyDiff(files[0], wantResult); d != "" {
			t.Errorf("results[%q] members differ: %s", step, d)
		}
	}
	st := decode(t, body)
	if st.OK != transloadit.StateCompleted || st.Results.Count() != 2 || len(st.Uploads) != 1 {
		t.Errorf("status = %s with %d results, %d uploads; want completed, 2, 1", st.OK, st.Results.Count(), len(st.Uploads))
	}
}

func keyDiff[V any](got, want map[string]V) string {
	var extra, missing []string
	for k := range got {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(extra)+len(missing) == 0 {
		return ""
	}
	slices.Sort(extra)
	slices.Sort(missing)
	return "extra " + strings.Join(extra, ",") + "; missing " + strings.Join(missing, ",")
}

// TestStepFailure fails a Step in each shape and checks the stream and
// the status.
func TestStepFailure(t *testing.T) {
	tests := []struct {
		name     string
		awkward  transloadittest.Awkward
		wantCode int
		wantOK   string // raw "ok" member, "" when absent
	}{
		{name: "default", wantCode: 400},
		{name: "error in 200, ok null", awkward: transloadittest.Awkward{ErrorIn200OKNull: true}, wantCode: 200, wantOK: "null"},
		{name: "error in 200, no ok", awkward: transloadittest.Awkward{ErrorNoOK: true}, wantCode: 200},
		{name: "system error", awkward: transloadittest.Awkward{SystemError: true}, wantCode: 200},
	}
	srv := newServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created := mustCreate(t, srv, transloadittest.Script{
				StartOnStream: true, FailStep: "resized", FailCode: "IMAGE_RESIZE_VALIDATION", Awkward: tt.awkward,
			})
			frames, err := openStream(t, srv, created.UpdateStreamURL).All()
			if err != nil {
				t.Fatalf("stream ended with %v; want a clean close after assembly_error", err)
			}
			last := frames[len(frames)-1]
			if last.Event != "assembly_error" {
				t.Fatalf("last frame = %+v; want assembly_error", last)
			}
			if got := names(frames); count(got, "assembly_result_finished") != 1 || count(got, "assembly_finished") != 0 {
				t.Errorf("stream = %v; want the :original result, then the error", got)
			}
			fromStream := decode(t, []byte(last.Data))

			code, body, _ := get(t, srv, created.AssemblySSLURL)
			if code != tt.wantCode {
				t.Errorf("GET status = %d; want %d", code, tt.wantCode)
			}
			st := decode(t, body)
			if st.Outcome() != transloadit.OutcomeFailed || fromStream.Outcome() != transloadit.OutcomeFailed {
				t.Errorf("outcome = %v (stream %v); want failed", st.Outcome(), fromStream.Outcome())
			}
			ok, hasOK := keys(t, body)["ok"]
			if tt.wantOK == "" && hasOK || tt.wantOK != "" && string(ok) != tt.wantOK {
				t.Errorf("ok member = %q (present %v); want %q", ok, hasOK, tt.wantOK)
			}
			if tt.awkward.SystemError {
				if !st.IsSystemError() || st.Error != "" {
					t.Errorf("status is not the errno/code/syscall shape: %.300s", body)
				}
				return
			}
			if st.Error != "IMAGE_RESIZE_VALIDATION" || st.HTTPCode != tt.wantCode || st.Message == "" {
				t.Errorf("error = %q, http_code %d, message %q", st.Error, st.HTTPCode, st.Message)
			}
			if extra := keys(t, body); string(extra["step"]) != `"resized"` {
				t.Errorf("step member = %s; want \"resized\"", extra["step"])
			}
		})
	}
}

func TestCancel(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, transloadittest.Script{StartOnStream: true})
	if err := srv.Pause(created.AssemblyID); err != nil {
		t.Fatal(err)
	}
	r := openStream(t, srv, created.UpdateStreamURL)
	if f, err := r.Next(); err != nil || f.ID != created.AssemblyID {
		t.Fatalf("first frame %+v, %v", f, err)
	}
	code, body, _ := do(t, srv.Client(), http.MethodDelete, created.AssemblySSLURL, nil, nil)
	if code != http.StatusOK {
		t.Fatalf("DELETE = %d %s", code, body)
	}
	if st := decode(t, body); st.OK != transloadit.StateCanceled || st.Outcome() != transloadit.OutcomeCanceled {
		t.Errorf("DELETE answered %s; want ASSEMBLY_CANCELED", st.OK)
	}
	frames, err := r.All()
	if err != nil {
		t.Fatalf("stream ended with %v; want a clean close", err)
	}
	if got := names(frames); !slices.Equal(got, []string{"assembly_finished"}) {
		t.Errorf("stream after cancel = %v; want assembly_finished", got)
	}
	if st, _ := srv.Status(created.AssemblyID); st.OK != transloadit.StateCanceled {
		t.Errorf("status after cancel = %s", st.OK)
	}
	code, body, _ = do(t, srv.Client(), http.MethodDelete, created.AssemblySSLURL, nil, nil)
	if code != http.StatusNotFound || decode(t, body).Error != transloadit.CodeNotFound {
		t.Errorf("second DELETE = %d %s; want 404 ASSEMBLY_NOT_FOUND", code, body)
	}
	if err := srv.Cancel(created.AssemblyID); err == nil {
		t.Error("Cancel of a canceled Assembly succeeded")
	}
	if got := srv.Counters().Canceled; got != 1 {
		t.Errorf("Counters().Canceled = %d; want 1", got)
	}
}

func TestCancelAfterResults(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, transloadittest.Script{
		StartOnStream: true, CancelAfterResults: 3,
		Steps:   []transloadittest.Step{{Name: "thumbs", Robot: "/video/thumbs", Results: 10}},
		Uploads: []transloadittest.Upload{{Name: "clip.mp4"}},
	})
	frames, err := openStream(t, srv, created.UpdateStreamURL).All()
	if err != nil {
		t.Fatal(err)
	}
	got := names(frames)
	if count(got, "assembly_result_finished") != 3 || got[len(got)-1] != "assembly_finished" {
		t.Errorf("stream = %v; want 3 results then assembly_finished", got)
	}
	st := awaitTerminal(t, srv, created.AssemblyID)
	if st.OK != transloadit.StateCanceled || st.Results.Count() != 3 {
		t.Errorf("status %s with %d results; want canceled with 3", st.OK, st.Results.Count())
	}
}

func TestImportOnly(t *testing.T) {
	srv := newServer(t)
	raw := `{"steps":{"imported":{"robot":"/http/import","url":"https://example.com/a.jpg"},"resized":{"robot":"/image/resize","use":"imported"}},"x_sim":{"start_on_stream":true,"results":{"imported":3}}}`
	created := mustCreateHTTP(t, srv, raw, nil)
	if created.OK != transloadit.StateExecuting || len(created.Uploads) != 0 || created.BytesExpected == nil || *created.BytesExpected != 0 {
		t.Errorf("creation status %s, %d uploads, bytes_expected %v; want executing, none, 0", created.OK, len(created.Uploads), created.BytesExpected)
	}
	frames, err := openStream(t, srv, created.UpdateStreamURL).All()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"assembly_result_finished", "assembly_result_finished", "assembly_result_finished",
		"assembly_result_finished", "assembly_result_finished", "assembly_result_finished", "assembly_finished"}
	if got := names(frames); !slices.Equal(got, want) {
		t.Errorf("stream = %v; want %v", got, want)
	}
	steps, files := results(t, frames)
	if !slices.Equal(steps, []string{"imported", "imported", "imported", "resized", "resized", "resized"}) {
		t.Errorf("steps = %v", steps)
	}
	for i := 3; i < 6; i++ {
		if files[i].OriginalID != files[i-3].ID {
			t.Errorf("resized %d original_id %s; want the imported file %s", i-3, files[i].OriginalID, files[i-3].ID)
		}
	}
	st := awaitTerminal(t, srv, created.AssemblyID)
	if st.OK != transloadit.StateCompleted || st.Results.Count() != 6 || len(st.Uploads) != 0 {
		t.Errorf("final %s, %d results, %d uploads", st.OK, st.Results.Count(), len(st.Uploads))
	}
}

func TestManyResults(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, transloadittest.Script{
		StartOnStream: true, EmitExecutionProgress: true, Tick: 1,
		Uploads: []transloadittest.Upload{{Name: "clip.mp4", Size: 50 << 20}},
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "thumbs", Robot: "/video/thumbs", Use: ":original", Results: 200},
		},
	})
	frames, err := openStream(t, srv, created.UpdateStreamURL).All()
	if err != nil {
		t.Fatal(err)
	}
	steps, files := results(t, frames)
	if count(steps, "thumbs") != 200 || count(steps, ":original") != 1 {
		t.Fatalf("stream results: %d thumbs, %d :original; want 200, 1", count(steps, "thumbs"), count(steps, ":original"))
	}
	ids := map[string]bool{}
	for _, f := range files {
		ids[f.ID] = true
	}
	if len(ids) != 201 {
		t.Errorf("%d distinct result ids; want 201", len(ids))
	}
	last := -1
	for _, f := range frames {
		if f.Event != "assembly_execution_progress" {
			continue
		}
		var p struct {
			Combined *int `json:"progress_combined"`
		}
		if err := json.Unmarshal([]byte(f.Data), &p); err != nil || p.Combined == nil {
			t.Fatalf("progress %q: %v", f.Data, err)
		}
		if *p.Combined < last {
			t.Errorf("progress went back from %d to %d", last, *p.Combined)
		}
		last = *p.Combined
	}
	if last != 100 {
		t.Errorf("last progress = %d; want 100", last)
	}
	st := awaitTerminal(t, srv, created.AssemblyID)
	if n := len(st.Results.Get("thumbs")); n != 200 {
		t.Errorf("status has %d thumbs; want 200", n)
	}
}

// TestLateConnect connects to a finished Assembly: the id line, one
// assembly_error, and the end of the stream.
func TestLateConnect(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, transloadittest.Script{})
	awaitTerminal(t, srv, created.AssemblyID)
	frames, err := openStream(t, srv, created.UpdateStreamURL).All()
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 2 || frames[0].ID != created.AssemblyID || frames[1].Event != "assembly_error" {
		t.Fatalf("late stream = %+v; want id, assembly_error", frames)
	}
	st := decode(t, []byte(frames[1].Data))
	if st.Error != transloadit.CodeNotFound || st.Message == "" {
		t.Errorf("late assembly_error = %s", frames[1].Data)
	}
}

func TestStreamNeedsEventStreamAccept(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, transloadittest.Script{})
	if r, code, _ := tryStream(t, srv, created.UpdateStreamURL, false); r != nil || code != http.StatusNotAcceptable {
		t.Errorf("stream without Accept = %d; want 406", code)
	}
	_, code, body := tryStream(t, srv, withQuery(created.WebsocketURL, "assembly", "0123456789abcdef0123456789abcdef"), true)
	if code != http.StatusNotFound || decode(t, body).Error != transloadit.CodeNotFound {
		t.Errorf("stream of an unknown Assembly = %d %s; want 404 ASSEMBLY_NOT_FOUND", code, body)
	}
	baseStream := srv.URL + strings.TrimPrefix(created.UpdateStreamURL, srv.MachineURL)
	if _, code, _ := tryStream(t, srv, baseStream, true); code != http.StatusNotFound {
		t.Errorf("stream on the base host = %d; want 404 (streams live on the machine host)", code)
	}
}

// TestEveryServedStatusDecodes polls a busy Assembly over HTTP, without
// the rate limit, and decodes every body.
func TestEveryServedStatusDecodes(t *testing.T) {
	srv := newServer(t, transloadittest.WithRateLimit(0, 0))
	created := mustCreate(t, srv, transloadittest.Script{
		Uploads: []transloadittest.Upload{{Name: "a.jpg"}, {Name: "b.mov"}, {Name: "c.mp3"}, {Name: "d.pdf"}},
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "faces", Robot: "/image/facedetect", Use: ":original"},
			{Name: "encoded", Robot: "/video/encode", Use: ":original"},
			{Name: "filtered", Robot: "/file/filter", Use: "encoded"},
			{Name: "waveform", Robot: "/audio/waveform", Use: ":original"},
			{Name: "stored", Robot: "/s3/store", Use: "filtered"},
		},
		Warnings: []transloadit.Warning{{Level: "notice", Msg: "simulated"}},
	})
	seen := map[transloadit.State]bool{}
	for i := 0; ; i++ {
		code, body, _ := get(t, srv, created.AssemblySSLURL)
		if code != http.StatusOK {
			t.Fatalf("GET %d = %d", i, code)
		}
		st := decode(t, body)
		if st.AssemblyID != created.AssemblyID || st.Outcome() == transloadit.OutcomeFailed {
			t.Fatalf("status %d: id %s outcome %v", i, st.AssemblyID, st.Outcome())
		}
		seen[st.OK] = true
		if st.Terminal() {
			break
		}
	}
	if !seen[transloadit.StateCompleted] {
		t.Errorf("states seen %v; want completed at the end", seen)
	}
	st, _ := srv.Status(created.AssemblyID)
	if len(st.Warnings) != 1 || st.Results.Count() != 4+4+4+4+4+4 {
		t.Errorf("final status: %d warnings, %d results", len(st.Warnings), st.Results.Count())
	}
}

func TestReplayAndAbort(t *testing.T) {
	srv := newServer(t)
	parent := "0123456789abcdef0123456789abcdef"
	created := mustCreate(t, srv, transloadittest.Script{ParentID: parent, Uploads: []transloadittest.Upload{}, Steps: []transloadittest.Step{{Name: "imported", Robot: "/http/import"}}})
	if created.OK != transloadit.StateReplaying || created.ParentID != parent {
		t.Errorf("replay: ok %s, parent_id %q", created.OK, created.ParentID)
	}
	awaitTerminal(t, srv, created.AssemblyID)

	aborted := mustCreate(t, srv, transloadittest.Script{AbortUpload: true})
	st := awaitTerminal(t, srv, aborted.AssemblyID)
	if st.OK != transloadit.StateAborted || st.Outcome() != transloadit.OutcomeAborted {
		t.Errorf("aborted Assembly ended %s", st.OK)
	}
	if st.BytesReceived <= 0 || st.BytesReceived >= *st.BytesExpected {
		t.Errorf("aborted Assembly received %d of %d bytes; want part", st.BytesReceived, *st.BytesExpected)
	}
}
