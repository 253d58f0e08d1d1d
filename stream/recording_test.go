package stream_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sync"
	"testing"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/stream"
)

var recordingKinds = []stream.Kind{
	stream.KindUploadFinished,
	stream.KindUploadingFinished,
	stream.KindResultFinished,
	stream.KindUploadFinished,
	stream.KindMetaDataExtracted,
	stream.KindExecutionProgress,
	stream.KindResultFinished,
	stream.KindExecutionProgress,
	stream.KindAssemblyFinished,
}

func TestRecordingDecodes(t *testing.T) {
	rec := readRecording(t)
	for _, tt := range []struct {
		name  string
		chunk int
	}{
		{"whole", 0},
		{"7-byte writes", 7},
		{"1-byte writes", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			verifyNoLeaks(t)
			srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				serveBytes(w, rec, tt.chunk)
			})
			var got recorder
			if err := runClient(t, testConfig(t, srv.URL), &got); err != nil {
				t.Fatalf("Run = %v; want nil after assembly_finished", err)
			}
			checkRecording(t, rec, got.got())
			if n := srv.requests(); n != 1 {
				t.Errorf("server saw %d requests; want 1", n)
			}
			if got.conns() != 1 || !reflect.DeepEqual(got.disc(), []error{nil}) {
				t.Errorf("OnConnect %d times, OnDisconnect %v; want 1 and [nil]", got.conns(), got.disc())
			}
			req := srv.request(0)
			if a := req.Header.Get("Accept"); a != "text/event-stream" {
				t.Errorf("Accept = %q; want text/event-stream", a)
			}
			if q := req.URL.RawQuery; q != "assembly=2b7beaddf0a046e2ada603346f2cbee1" {
				t.Errorf("query = %q; the URL must be used as given (no stream= parameter)", q)
			}
		})
	}
}

// checkRecording asserts that got is exactly the recording's frames, in
// order, with typed payloads.
func checkRecording(t *testing.T, rec []byte, got []stream.Update) {
	t.Helper()
	frames := splitFrames(rec)[1:] // the first frame is the opening id: line
	if !reflect.DeepEqual(kinds(got), recordingKinds) {
		t.Fatalf("kinds = %v; want %v", kinds(got), recordingKinds)
	}
	for i, u := range got {
		f := frames[i]
		wantName := f.event
		if wantName == "" {
			wantName = f.data
		}
		if u.Name != wantName || string(u.Raw) != f.data {
			t.Errorf("update %d = {Name %q, Raw %.40q}; want {%q, %.40q}", i, u.Name, u.Raw, wantName, f.data)
		}
		if u.Err != nil || u.ReceivedAt.IsZero() {
			t.Errorf("update %d: Err = %v, ReceivedAt = %v; want nil and set", i, u.Err, u.ReceivedAt)
		}
		if i > 0 && u.ReceivedAt.Before(got[i-1].ReceivedAt) {
			t.Errorf("update %d received before update %d", i, i-1)
		}
		checkPayloadMatchesRaw(t, i, u)
	}

	up := got[0].Upload
	wantUp := transloadit.File{
		ID: "e48cdd96971c4485976bce09cbc32a78", Name: "both-anthems.mp3", Basename: "both-anthems",
		Ext: "mp3", Size: 932929, Mime: "audio/mpeg", Type: "audio", Field: "file",
		MD5Hash: "0dcc80c8656f453985c8ca42cd8e6202", OriginalID: "e48cdd96971c4485976bce09cbc32a78",
		OriginalBasename: "both-anthems", OriginalName: "both-anthems.mp3", OriginalPath: "/",
		OriginalMD5Hash: "0dcc80c8656f453985c8ca42cd8e6202", IsTusFile: true,
		TusUploadURL: "https://api2-berlin8.transloadit.com/resumable/files/2b7beaddf0a046e2ada603346f2cbee1_e49a39492c57ef94f9aebd15d73b211d",
		URL:          "http://tmp-eu-west-1.transloadit.net/ffffffffffffffffffffffffffffffff/2b7beaddf0a046e2ada603346f2cbee1/e48cdd96971c4485976bce09cbc32a78.mp3",
		SSLURL:       "https://tmp-eu-west-1.transloadit.net/ffffffffffffffffffffffffffffffff/2b7beaddf0a046e2ada603346f2cbee1/e48cdd96971c4485976bce09cbc32a78.mp3",
	}
	checkFile(t, "upload 1", up, wantUp)
	var meta struct {
		Duration float64 `json:"duration"`
		Title    string  `json:"title"`
	}
	if err := json.Unmarshal(up.Meta, &meta); err != nil || meta.Duration != 58.044 || meta.Title != "Het%20Wilhelmus%20-%20The%20Nederlands" {
		t.Errorf("upload 1 meta = %+v (%v); want duration 58.044 and the recorded title", meta, err)
	}
	for _, k := range []string{"user_meta", "as", "is_temp_url"} {
		if _, ok := up.Extra[k]; !ok {
			t.Errorf("upload 1 Extra lacks %q: %v", k, up.Extra)
		}
	}

	if got[2].Step != "waveformed" || got[6].Step != "waveformed" {
		t.Errorf("result steps = %q, %q; want waveformed", got[2].Step, got[6].Step)
	}
	r1 := got[2].Result
	if r1.ID != "8197cd2434784ec4b63340c6a06169eb" || r1.Name != "both-anthems.png" || r1.Size != 12224 ||
		r1.Mime != "image/png" || r1.OriginalID != "e48cdd96971c4485976bce09cbc32a78" || r1.IsTusFile || r1.TusUploadURL != "" {
		t.Errorf("result 1 = %+v", r1)
	}
	if string(r1.Extra["queue"]) != `"live"` || string(r1.Extra["cost"]) != "1048576" || string(r1.Extra["exec_time"]) != "0.4" {
		t.Errorf("result 1 Extra queue/cost/exec_time = %s/%s/%s", r1.Extra["queue"], r1.Extra["cost"], r1.Extra["exec_time"])
	}
	if r2 := got[6].Result; r2.ID != "e5f6cd5256b94b88bbfad872a0ba1cb3" || r2.OriginalID != "99757ab201334bf8b04ae0a3474c523c" || r2.Size != 12528 {
		t.Errorf("result 2 = %+v", r2)
	}
	if u2 := got[3].Upload; u2.ID != "99757ab201334bf8b04ae0a3474c523c" || u2.Name != "german_anthem.mp3" || u2.Size != 1252668 ||
		u2.TusUploadURL != "https://api2-artur6.transloadit.com/resumable/files/2b7beaddf0a046e2ada603346f2cbee1_87342bd4b100bb2d7f621ae4160ef3b2" {
		t.Errorf("upload 2 = %+v", u2)
	}

	p1 := got[5].Progress
	wantP1 := []stream.FileProgress{{OriginalID: "e48cdd96971c4485976bce09cbc32a78", Progress: 100}, {OriginalID: "99757ab201334bf8b04ae0a3474c523c", Progress: 0}}
	if p1.Combined == nil || *p1.Combined != 50 || !reflect.DeepEqual(p1.PerFile, wantP1) {
		t.Errorf("progress 1 = %v %+v; want 50 %+v", p1.Combined, p1.PerFile, wantP1)
	}
	if p2 := got[7].Progress; p2.Combined == nil || *p2.Combined != 100 || len(p2.PerFile) != 0 {
		t.Errorf("progress 2 = %v %+v; want 100 and no files", p2.Combined, p2.PerFile)
	}
	for _, i := range []int{1, 4, 8} {
		if u := got[i]; u.Upload != nil || u.Result != nil || u.Progress != nil || u.Error != nil || u.Step != "" {
			t.Errorf("message %d (%s) carries a payload: %+v", i, u.Name, u)
		}
	}
}

func checkFile(t *testing.T, what string, got *transloadit.File, want transloadit.File) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s is nil", what)
	}
	g := *exportedOnly(got)
	g.Meta, g.Extra = nil, nil
	if !reflect.DeepEqual(g, want) {
		t.Errorf("%s =\n%+v\nwant\n%+v", what, g, want)
	}
}

// checkPayloadMatchesRaw re-encodes the typed payload and compares it with
// Raw as JSON values, so that no member was lost or altered in decoding.
func checkPayloadMatchesRaw(t *testing.T, i int, u stream.Update) {
	t.Helper()
	var payload any
	switch u.Kind {
	case stream.KindUploadFinished:
		payload = u.Upload
	case stream.KindResultFinished:
		payload = []any{u.Step, u.Result}
	default:
		return
	}
	enc, err := json.Marshal(payload)
	if err != nil {
		t.Fatalf("update %d: re-encode: %v", i, err)
	}
	var a, b any
	if err := json.Unmarshal(enc, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(u.Raw, &b); err != nil {
		t.Fatal(err)
	}
	dropNullAndFalse(a)
	dropNullAndFalse(b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("update %d: typed payload re-encodes to\n%s\nwant the same JSON as Raw\n%s", i, enc, u.Raw)
	}
}

// dropNullAndFalse removes top-level file members the model omits when
// empty (null, false), recursively into arrays, so the comparison sees
// only information.
func dropNullAndFalse(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil || e == false {
				delete(x, k)
			}
		}
	case []any:
		for _, e := range x {
			dropNullAndFalse(e)
		}
	}
}

// TestConcurrentRuns runs two streams on one Client at once: the SSE
// library's Client races on its Connected flag when shared, so every
// connection gets its own.
func TestConcurrentRuns(t *testing.T) {
	verifyNoLeaks(t)
	rec := readRecording(t)
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) { serveBytes(w, rec, 64) })
	c, err := stream.NewClient(testConfig(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var recs [2]recorder
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { errs[i] = c.Run(t.Context(), recs[i].handle) })
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil || !reflect.DeepEqual(kinds(recs[i].got()), recordingKinds) {
			t.Errorf("run %d: err %v, kinds %v", i, errs[i], kinds(recs[i].got()))
		}
	}
}
