package transloadittest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

const steps = `"steps":{"resized":{"robot":"/image/resize","use":":original"}}`

func TestSignedRequests(t *testing.T) {
	const secret = "s3cret"
	srv := newServer(t, transloadittest.WithAuthSecret(secret))
	future := time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
	past := time.Now().Add(-time.Hour).UTC().Format("2006/01/02 15:04:05+00:00")
	good := `{"auth":{"key":"k3y","expires":"` + future + `"},` + steps + `}`
	expired := `{"auth":{"key":"k3y","expires":"` + past + `"},` + steps + `}`
	noExpiry := `{"auth":{"key":"k3y"},` + steps + `}`
	tests := []struct {
		name, params, sig string
		wantCode          int
		wantErr           string
	}{
		{"signed", good, transloadit.Sign(secret, good), 200, ""},
		{"legacy sha1", good, legacySHA1(secret, good), 200, ""},
		{"unsigned", good, "", 400, "NO_SIGNATURE_FIELD"},
		{"wrong secret", good, transloadit.Sign("other", good), 400, "INVALID_SIGNATURE"},
		{"signature of other params", good, transloadit.Sign(secret, good+" "), 400, "INVALID_SIGNATURE"},
		{"expired", expired, transloadit.Sign(secret, expired), 400, "AUTH_EXPIRED"},
		{"no expiry", noExpiry, transloadit.Sign(secret, noExpiry), 400, "NO_AUTH_EXPIRES_PARAMETER"},
		{"no auth", `{` + steps + `}`, "sha384:00", 400, "NO_AUTH_PARAMETER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &form{}
			if tt.sig != "" {
				f.add("signature", tt.sig)
			}
			code, body := createHTTP(t, srv, tt.params, f)
			if code != tt.wantCode {
				t.Fatalf("POST = %d %s; want %d", code, body, tt.wantCode)
			}
			st := decode(t, body)
			if st.Error != tt.wantErr {
				t.Errorf("error = %q; want %q", st.Error, tt.wantErr)
			}
			if tt.wantErr != "" {
				return
			}
			var echoed map[string]any
			json.Unmarshal([]byte(keysString(t, body, "params")), &echoed)
			if auth, _ := echoed["auth"].(map[string]any); auth["key"] != "****" {
				t.Errorf("params echo %v; want the auth key masked", echoed)
			}
			// Status GETs need no auth.
			if code, _, _ := get(t, srv, st.AssemblySSLURL); code != 200 {
				t.Errorf("unsigned status GET = %d", code)
			}
		})
	}
	t.Run("cancel and list need signatures", func(t *testing.T) {
		held := `{"auth":{"key":"k3y","expires":"` + future + `"},` + steps + `,"x_sim":{"start_on_stream":true}}`
		_, body := createHTTP(t, srv, held, (&form{}).add("signature", transloadit.Sign(secret, held)))
		st := decode(t, body)
		code, body, _ := do(t, srv.Client(), http.MethodDelete, st.AssemblySSLURL, &form{}, nil)
		if code != 400 || decode(t, body).Error != "NO_SIGNATURE_FIELD" {
			t.Errorf("unsigned DELETE = %d %s", code, body)
		}
		code, body, _ = do(t, srv.Client(), http.MethodDelete, st.AssemblySSLURL, (&form{}).add("params", good).add("signature", transloadit.Sign(secret, good)), nil)
		if code != 200 || decode(t, body).OK != transloadit.StateCanceled {
			t.Errorf("signed DELETE = %d %.200s", code, body)
		}
		if code, body, _ := get(t, srv, srv.URL+"/assemblies"); code != 400 {
			t.Errorf("unsigned list = %d %s", code, body)
		}
		if code, body, _ := get(t, srv, withQuery(srv.URL+"/assemblies", "params", good, "signature", transloadit.Sign(secret, good))); code != 200 {
			t.Errorf("signed list = %d %s", code, body)
		}
	})
}

func keysString(t *testing.T, body []byte, k string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(keys(t, body)[k], &s); err != nil {
		t.Fatalf("member %s: %v", k, err)
	}
	return s
}

func TestCreateRequests(t *testing.T) {
	srv := newServer(t)
	const id = "aaaabbbbccccddddeeeeffff00001111"
	tests := []struct {
		name     string
		path     string
		params   string
		wantCode int
		wantErr  string
	}{
		{"client chosen id", "/assemblies/" + id, `{` + steps + `}`, 200, ""},
		{"reused id", "/assemblies/" + id, `{` + steps + `}`, 400, "DO_NOT_REUSE_ASSEMBLY_IDS"},
		{"invalid id", "/assemblies/XYZ", `{` + steps + `}`, 400, "INVALID_FORM_DATA"},
		{"no params", "/assemblies", "", 400, "NO_PARAMS_FIELD"},
		{"params not JSON", "/assemblies", `{steps`, 400, "INVALID_PARAMS_FIELD"},
		{"params not an object", "/assemblies", `[1]`, 400, "NO_OBJECT_PARAMS_FIELD"},
		{"no steps", "/assemblies", `{}`, 400, "ASSEMBLY_NO_STEPS"},
		{"template only", "/assemblies", `{"template_id":"t1"}`, 200, ""},
		{"unknown use", "/assemblies", `{"steps":{"a":{"robot":"/image/resize","use":"nope"}}}`, 400, "ASSEMBLY_INVALID_STEPS"},
		{"no robot", "/assemblies", `{"steps":{"a":{"use":":original"}}}`, 400, "ASSEMBLY_INVALID_STEPS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &form{}
			if tt.params != "" {
				f.add("params", tt.params)
			}
			code, body, _ := do(t, srv.Client(), http.MethodPost, srv.URL+tt.path, f, nil)
			if code != tt.wantCode {
				t.Fatalf("POST %s = %d %s; want %d", tt.path, code, body, tt.wantCode)
			}
			if st := decode(t, body); st.Error != tt.wantErr {
				t.Errorf("error = %q; want %q", st.Error, tt.wantErr)
			}
		})
	}
	if _, ok := srv.Status(id); !ok {
		t.Errorf("Assembly %s not created", id)
	}
}

func TestCreateFormFields(t *testing.T) {
	srv := newServer(t)
	params := `{"steps":{"resized":{"robot":"/image/resize"}},"notify_url":"https://example.com/hook","fields":{"order":"42"}}`
	f := (&form{}).add("tus_num_expected_upload_files", "2").add("customer", "ada").
		add("x_sim", `{"start_on_stream":true,"fail_step":"resized","fail_code":"IMAGE_RESIZE_ERROR","fail_http_code":422}`)
	f.fields = append([][2]string{{"params", params}}, f.fields...)
	code, body, _ := do(t, srv.Client(), http.MethodPost, srv.URL+"/assemblies", f, http.Header{"Transloadit-Client": {"node-sdk:4.7.4"}})
	if code != 200 {
		t.Fatalf("POST = %d %s", code, body)
	}
	created := decode(t, body)
	m := keys(t, body)
	var fields map[string]any
	json.Unmarshal(m["fields"], &fields)
	if fields["order"] != "42" || fields["customer"] != "ada" || len(fields) != 2 {
		t.Errorf("fields = %v; want order and customer", fields)
	}
	if string(m["transloadit_client"]) != `"node-sdk:4.7.4"` || string(m["notify_url"]) != `"https://example.com/hook"` || string(m["expected_tus_uploads"]) != "2" {
		t.Errorf("transloadit_client %s, notify_url %s, expected_tus_uploads %s", m["transloadit_client"], m["notify_url"], m["expected_tus_uploads"])
	}
	frames, err := openStream(t, srv, created.UpdateStreamURL).All()
	if err != nil {
		t.Fatal(err)
	}
	if got := names(frames); count(got, "assembly_upload_finished") != 2 || got[len(got)-1] != "assembly_error" {
		t.Errorf("stream = %v; want 2 uploads, then the error", got)
	}
	code, body, _ = get(t, srv, created.AssemblySSLURL)
	st := decode(t, body)
	if code != 422 || st.Error != "IMAGE_RESIZE_ERROR" || len(st.Uploads) != 2 || !st.Uploads[0].IsTusFile || st.Uploads[0].TusUploadURL == "" {
		t.Errorf("status %d %s, uploads %+v", code, st.Error, st.Uploads)
	}
	if got := string(keys(t, body)["finished_tus_uploads"]); got != "2" {
		t.Errorf("finished_tus_uploads = %s; want 2", got)
	}
}

func TestList(t *testing.T) {
	srv := newServer(t)
	completed := mustCreate(t, srv, transloadittest.Script{}).AssemblyID
	awaitTerminal(t, srv, completed)
	failed := mustCreate(t, srv, transloadittest.Script{FailCode: "WORKER_JOB_ERROR"}).AssemblyID
	awaitTerminal(t, srv, failed)
	canceled := mustCreate(t, srv, transloadittest.Script{Uploads: []transloadittest.Upload{{Name: "needle.png"}}, StartOnStream: true}).AssemblyID
	if err := srv.Cancel(canceled); err != nil {
		t.Fatal(err)
	}
	list := func(params string) (ids []string, n int, items []map[string]json.RawMessage) {
		t.Helper()
		u := srv.URL + "/assemblies"
		if params != "" {
			u = withQuery(u, "params", params)
		}
		code, body, _ := get(t, srv, u)
		if code != 200 {
			t.Fatalf("list %s = %d %s", params, code, body)
		}
		var lb struct {
			Items []map[string]json.RawMessage `json:"items"`
			Count int                          `json:"count"`
		}
		if err := json.Unmarshal(body, &lb); err != nil {
			t.Fatal(err)
		}
		for _, it := range lb.Items {
			var id string
			json.Unmarshal(it["id"], &id)
			ids = append(ids, id)
		}
		return ids, lb.Count, lb.Items
	}
	ids, n, items := list("")
	if !slices.Equal(ids, []string{canceled, failed, completed}) || n != 3 {
		t.Errorf("list = %v (count %d); want newest first", ids, n)
	}
	for _, k := range []string{"id", "account_id", "instance", "files", "created", "created_ts", "ok", "error", "bytes_received", "execution_start"} {
		if _, ok := items[0][k]; !ok {
			t.Errorf("list item lacks %s", k)
		}
	}
	if string(items[1]["error"]) != `"WORKER_JOB_ERROR"` || string(items[1]["ok"]) != "null" {
		t.Errorf("failed item ok %s error %s", items[1]["ok"], items[1]["error"])
	}
	for _, tt := range []struct {
		params string
		want   []string
		count  int
	}{
		{`{"type":"completed"}`, []string{completed}, 1},
		{`{"type":"failed"}`, []string{failed}, 1},
		{`{"type":"canceled"}`, []string{canceled}, 1},
		{`{"pagesize":2,"page":2}`, []string{completed}, 3},
		{`{"keywords":["needle"]}`, []string{canceled}, 1},
		{`{"fromdate":"2000-01-01 00:00:00","todate":"2001-01-01 00:00:00"}`, nil, 0},
	} {
		if ids, n, _ := list(tt.params); !slices.Equal(ids, tt.want) || n != tt.count {
			t.Errorf("list %s = %v (count %d); want %v (count %d)", tt.params, ids, n, tt.want, tt.count)
		}
	}
	if code, _, _ := get(t, srv, withQuery(srv.URL+"/assemblies", "params", `{"type":"bogus"}`)); code != 400 {
		t.Errorf("list with unknown type = %d; want 400", code)
	}
}

func TestUnknownRoutes(t *testing.T) {
	srv := newServer(t)
	for _, tt := range []struct{ method, url string }{
		{http.MethodGet, srv.URL + "/"},
		{http.MethodPut, srv.URL + "/assemblies/0123456789abcdef0123456789abcdef"},
		{http.MethodGet, srv.MachineURL + "/assemblies/a/b"},
		{http.MethodPost, srv.MachineURL + "/ws123"},
	} {
		code, body, _ := do(t, srv.Client(), tt.method, tt.url, nil, nil)
		if code != 404 || decode(t, body).Error != transloadit.CodeServer404 {
			t.Errorf("%s %s = %d %s; want 404 SERVER_404", tt.method, tt.url, code, body)
		}
	}
}

func TestCreateErrors(t *testing.T) {
	srv := newServer(t, transloadittest.WithMaxAssemblies(1), transloadittest.WithTick(time.Hour))
	ctx := testContext(t)
	for _, sc := range []transloadittest.Script{
		{ID: "short"},
		{Steps: []transloadittest.Step{{Name: "a", Robot: "/image/resize", Use: "b"}}},
		{FailStep: "nope"},
		{Steps: []transloadittest.Step{{Name: "a", Robot: "/video/thumbs", Results: 20000}}},
	} {
		if _, err := srv.Create(ctx, sc); !errors.Is(err, transloadittest.ErrInvalidScript) {
			t.Errorf("Create(%+v): %v; want ErrInvalidScript", sc, err)
		}
	}
	first := mustCreate(t, srv, transloadittest.Script{ID: "0123456789abcdef0123456789abcdef"})
	if _, err := srv.Create(ctx, transloadittest.Script{ID: first.AssemblyID}); !errors.Is(err, transloadittest.ErrDuplicateID) {
		t.Errorf("duplicate id: %v", err)
	}
	if _, err := srv.Create(ctx, transloadittest.Script{}); !errors.Is(err, transloadittest.ErrTooManyAssemblies) {
		t.Errorf("over the cap: %v", err)
	}
	if err := srv.Cancel(first.AssemblyID); err != nil {
		t.Fatal(err)
	}
	// A finished Assembly makes room.
	second := mustCreate(t, srv, transloadittest.Script{})
	if _, ok := srv.Status(first.AssemblyID); ok {
		t.Error("the finished Assembly was kept over the cap")
	}
	if err := srv.Cancel("0123456789abcdef0123456789abcdee"); !errors.Is(err, transloadittest.ErrNotFound) {
		t.Errorf("Cancel unknown: %v", err)
	}
	if err := srv.Pause("x"); !errors.Is(err, transloadittest.ErrNotFound) {
		t.Errorf("Pause unknown: %v", err)
	}
	if !strings.HasPrefix(second.AssemblySSLURL, srv.MachineURL) {
		t.Errorf("assembly_ssl_url %s not on the machine host", second.AssemblySSLURL)
	}
	al := srv.AllowList()
	for _, u := range []string{srv.URL, second.AssemblySSLURL, second.UpdateStreamURL} {
		if _, err := al.Check(u); err != nil {
			t.Errorf("AllowList().Check(%s): %v", u, err)
		}
	}
}
