package transloadit

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"testing"
)

func readSeed(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/seed-status.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSeedRoundTrip: decode → encode → decode gives the same value, and
// every member of the documented example survives, unknown ones included.
func TestSeedRoundTrip(t *testing.T) {
	seed := readSeed(t)
	first, err := DecodeStatus(seed)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	second, err := DecodeStatus(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("decode(encode(decode(seed))) differs from decode(seed)")
	}
	// Members are kept, not dropped: compare the JSON values, treating a
	// null the typed model drops as absent.
	var want, got map[string]any
	json.Unmarshal(seed, &want)
	json.Unmarshal(enc, &got)
	for k, v := range want {
		if v == nil {
			if g, ok := got[k]; ok && g != nil {
				t.Errorf("member %s: null became %v", k, g)
			}
			continue
		}
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("member %s = %v; want %v", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("encode added member %s", k)
		}
	}
}

func TestSeedTypedFields(t *testing.T) {
	st, err := DecodeStatus(readSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"ok", st.OK, StateCompleted},
		{"assembly_id", st.AssemblyID, "7828446e5acd4aa996dce3455ec914e9"},
		{"bytes_expected", *st.BytesExpected, int64(486608)},
		{"execution_duration", *st.ExecutionDuration, 5.281},
		{"websocket_url", st.WebsocketURL, "https://api2-jenks.transloadit.com/ws20074"},
		{"uploads", len(st.Uploads), 1},
		{"results steps", st.Results.Steps(), []string{":original", "faces_detected"}},
		{"results count", st.Results.Count(), 2},
		{"upload is_tus_file", st.Uploads[0].IsTusFile, true},
		{"result original_id", st.Results.Get("faces_detected")[0].OriginalID, "a30bd0776e7f4ac3817b056d102e8219"},
		{"outcome", st.Outcome(), OutcomeCompleted},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
		}
	}
	for _, k := range []string{"build_id", "bytes_usage", "merged_params", "started_jobs", "notify_url", "client_ip"} {
		if _, ok := st.Extra[k]; !ok {
			t.Errorf("unknown member %s not kept in Extra", k)
		}
	}
	r := st.Results.Get(":original")[0]
	if string(r.Extra["queueTime"]) != "0.01" || string(r.Extra["cost"]) != "97157" {
		t.Errorf("result Extra = %v; want queueTime and cost kept", r.Extra)
	}
}

func TestRoundTripShapes(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"ok null with error", `{"ok":null,"error":"ASSEMBLY_EXPIRED","http_code":200,"message":"The Assembly expired."}`},
		{"system error", `{"errno":-2,"code":"ENOENT","syscall":"open","path":"/mnt/jobs/x"}`},
		{"rate limit", `{"error":"ASSEMBLY_STATUS_FETCHING_RATE_LIMIT_REACHED","info":{"retryIn":0.5}}`},
		{"null bytes_expected", `{"ok":"ASSEMBLY_UPLOADING","bytes_expected":null,"bytes_received":10}`},
		{"empty results and uploads", `{"ok":"ASSEMBLY_EXECUTING","results":{},"uploads":[]}`},
		{"null step results", `{"ok":"ASSEMBLY_EXECUTING","results":{"a":null,"b":[]}}`},
		{"null meta", `{"uploads":[{"id":"x","meta":null,"user_meta":{"a":1}}]}`},
		{"nested unknown", `{"ok":"ASSEMBLY_COMPLETED","x":{"y":[1,{"z":null}]},"parent_assembly_status":null}`},
		{"numbers survive", `{"ok":"ASSEMBLY_COMPLETED","bytes_usage":12345678901234,"execution_duration":0.000001}`},
		{"key differing only in case", `{"ok":"ASSEMBLY_COMPLETED","OK":"","Uploads":[1]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := DecodeStatus([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			enc, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := DecodeStatus(enc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("round trip of %s changed it: %s", tt.in, enc)
			}
			var in, out any
			json.Unmarshal([]byte(tt.in), &in)
			json.Unmarshal(enc, &out)
			if !jsonEqualIgnoringNulls(in, out) {
				t.Errorf("encode(decode(%s)) = %s", tt.in, enc)
			}
		})
	}
}

// jsonEqualIgnoringNulls compares JSON values, treating a null member as
// equal to an absent one (the typed model may drop nulls it cannot hold).
func jsonEqualIgnoringNulls(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		if as, ok := a.([]any); ok {
			bs, ok := b.([]any)
			if !ok || len(as) != len(bs) {
				return false
			}
			for i := range as {
				if !jsonEqualIgnoringNulls(as[i], bs[i]) {
					return false
				}
			}
			return true
		}
		return reflect.DeepEqual(a, b)
	}
	for k, v := range am {
		if v == nil && bm[k] == nil {
			continue
		}
		if !jsonEqualIgnoringNulls(v, bm[k]) {
			return false
		}
	}
	for k, v := range bm {
		if _, ok := am[k]; !ok && v != nil {
			return false
		}
	}
	return true
}

func TestSetExtraOverrides(t *testing.T) {
	st := &Status{OK: StateExecuting, Error: "WORKER_JOB_ERROR"}
	st.SetExtra("ok", json.RawMessage("null"))
	enc, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	json.Unmarshal(enc, &m)
	if string(m["ok"]) != "null" || string(m["error"]) != `"WORKER_JOB_ERROR"` {
		t.Errorf("encoded %s; want ok null next to the error", enc)
	}
}

func TestDecodeStatusMalformed(t *testing.T) {
	for _, in := range []string{``, `{"ok":`, `[1,2]`, `"text"`, `<html>502</html>`, `{"results":[1]}`, `{"uploads":{}}`} {
		if _, err := DecodeStatus([]byte(in)); !errors.Is(err, ErrMalformedStatus) {
			t.Errorf("DecodeStatus(%q) = %v; want ErrMalformedStatus", in, err)
		}
	}
}

func TestResults(t *testing.T) {
	var r Results
	r.Append("b", File{ID: "1"})
	r.Append("a", File{ID: "2"}, File{ID: "3"})
	r.Append("b", File{ID: "4"})
	if got := r.Steps(); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("Steps() = %v; want first-seen order", got)
	}
	if r.Count() != 4 || r.Len() != 2 || len(r.Get("b")) != 2 || r.Get("zz") != nil {
		t.Errorf("Count %d Len %d Get(b) %d", r.Count(), r.Len(), len(r.Get("b")))
	}
	enc, _ := json.Marshal(r)
	if want := `{"b":[{"id":"1"},{"id":"4"}],"a":[{"id":"2"},{"id":"3"}]}`; string(enc) != want {
		t.Errorf("Marshal = %s; want %s", enc, want)
	}
	var back Results
	if err := json.Unmarshal([]byte(`{"z":[{"id":"1"}],"a":[],"m":null}`), &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Steps(); !slices.Equal(got, []string{"z", "a", "m"}) {
		t.Errorf("decoded Steps() = %v; want document order", got)
	}
}

func TestAPIError(t *testing.T) {
	st, _ := DecodeStatus([]byte(`{"error":"RATE_LIMIT_REACHED","message":"Request limit reached","http_code":429,"info":{"retryIn":1.5}}`))
	e := st.APIError()
	if e == nil || e.Code != CodeRateLimit || e.HTTPCode != 429 || e.RetryAfter().Seconds() != 1.5 {
		t.Fatalf("APIError() = %+v", e)
	}
	if e.Error() != "transloadit: RATE_LIMIT_REACHED: Request limit reached" {
		t.Errorf("Error() = %q", e.Error())
	}
	if (&APIError{Code: "X"}).Error() != "transloadit: X" || (&APIError{Info: &Info{RetryIn: 0}}).RetryAfter() != 0 {
		t.Error("APIError without message or retryIn")
	}
	if (&Status{OK: StateCompleted}).APIError() != nil {
		t.Error("APIError() of a status without error is not nil")
	}
}

// TestZeroMembersKept: members received with a zero value are written
// back, unless the caller changed the field since.
func TestZeroMembersKept(t *testing.T) {
	var f File
	if err := json.Unmarshal([]byte(`{"id":"a","is_tus_file":false,"tus_upload_url":null,"size":0,"from_batch_import":false}`), &f); err != nil {
		t.Fatal(err)
	}
	enc, _ := json.Marshal(f)
	if want := `{"from_batch_import":false,"id":"a","is_tus_file":false,"size":0,"tus_upload_url":null}`; string(enc) != want {
		t.Errorf("encode = %s; want %s", enc, want)
	}
	f.IsTusFile, f.TusUploadURL = true, "https://x/resumable/files/1"
	enc, _ = json.Marshal(f)
	var m map[string]any
	json.Unmarshal(enc, &m)
	if m["is_tus_file"] != true || m["tus_upload_url"] != "https://x/resumable/files/1" {
		t.Errorf("encode after setting fields = %s; want the new values", enc)
	}
	st, _ := DecodeStatus([]byte(`{"ok":null,"error":"ASSEMBLY_EXPIRED","bytes_expected":null}`))
	enc, _ = json.Marshal(st)
	if want := `{"bytes_expected":null,"error":"ASSEMBLY_EXPIRED","ok":null}`; string(enc) != want {
		t.Errorf("encode = %s; want %s", enc, want)
	}
}

// encoding/json matches keys without regard to case; the model must not:
// "OK" is an unknown member, kept verbatim, and "ok" decides the outcome.
func TestCaseDifferentKeyIsExtra(t *testing.T) {
	st, err := DecodeStatus([]byte(`{"OK":"","ok":"ASSEMBLY_COMPLETED","Error":"X"}`))
	if err != nil {
		t.Fatal(err)
	}
	if st.OK != StateCompleted || st.Error != "" || st.Outcome() != OutcomeCompleted {
		t.Errorf("ok = %q, error = %q, outcome %v; want completed", st.OK, st.Error, st.Outcome())
	}
	if string(st.Extra["OK"]) != `""` || string(st.Extra["Error"]) != `"X"` {
		t.Errorf("Extra = %v; want OK and Error kept", st.Extra)
	}
}

// TestDecodeStatusHoldsNoInput: a decoded status keeps copies, never the
// document's bytes, so a caller may reuse the buffer it read the body
// into. It overwrites the input after decoding, on the one-pass path, the
// path that skips known results, and the encoding/json path.
func TestDecodeStatusHoldsNoInput(t *testing.T) {
	seed := readSeed(t)
	slow := []byte(`{"ok":"ASSEMBLY_COMPLETED","assembly_id":"a","OK":"x","results":{"s":[{"id":"r1","meta":{"w":1}}]},"custom":{"k":[1,2]}}`)
	decoders := map[string]func([]byte) (*Status, error){
		"DecodeStatus": DecodeStatus,
		"DecodeStatusKnown": func(b []byte) (*Status, error) {
			return DecodeStatusKnown(b, func(_, id string) bool { return len(id)%2 == 0 })
		},
	}
	for name, decode := range decoders {
		for doc, data := range map[string][]byte{"seed": seed, "slow path": slow} {
			want, err := decode(slices.Clone(data))
			if err != nil {
				t.Fatalf("%s(%s): %v", name, doc, err)
			}
			in := slices.Clone(data)
			got, err := decode(in)
			if err != nil {
				t.Fatalf("%s(%s): %v", name, doc, err)
			}
			for i := range in {
				in[i] = 'x'
			}
			wantJSON, _ := json.Marshal(want)
			gotJSON, _ := json.Marshal(got)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("%s(%s) changed when its input was overwritten:\n got %s\nwant %s", name, doc, gotJSON, wantJSON)
			}
		}
	}
}
