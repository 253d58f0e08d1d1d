package stream_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/stream"
)

// newSim starts the simulator for one test.
func newSim(t *testing.T, opts ...transloadittest.Option) *transloadittest.Server {
	t.Helper()
	srv := transloadittest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// createSim creates an Assembly and returns its status and a stream
// configuration for it.
func createSim(t *testing.T, srv *transloadittest.Server, sc transloadittest.Script) (*transloadit.Status, stream.Config) {
	t.Helper()
	st, err := srv.Create(t.Context(), sc)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	cfg := testConfig(t, st.StreamURL())
	cfg.AllowList = srv.AllowList()
	return st, cfg
}

func awaitTerminal(t *testing.T, srv *transloadittest.Server, id string) *transloadit.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := srv.AwaitState(ctx, id, (*transloadit.Status).Terminal); err != nil {
		t.Fatalf("AwaitState: %v", err)
	}
	st, _ := srv.Status(id)
	return st
}

// key identifies what an update reports, for comparisons with a status.
func key(u stream.Update) string {
	switch u.Kind {
	case stream.KindUploadFinished:
		return "upload " + u.Upload.ID
	case stream.KindResultFinished:
		return "result " + u.Step + " " + u.Result.ID
	}
	return u.Name
}

func statusKeys(st *transloadit.Status) (uploads, results []string) {
	for _, f := range st.Uploads {
		uploads = append(uploads, "upload "+f.ID)
	}
	for _, step := range st.Results.Steps() {
		for _, f := range st.Results.Get(step) {
			results = append(results, "result "+step+" "+f.ID)
		}
	}
	return uploads, results
}

func keysOf(us []stream.Update, k stream.Kind) []string {
	var out []string
	for _, u := range us {
		if u.Kind == k {
			out = append(out, key(u))
		}
	}
	return out
}

// TestSimEveryUpdateKind: a whole Assembly lifecycle decodes into every
// message and event kind, and the uploads and results the stream reported
// are exactly those of the final status, in order.
func TestSimEveryUpdateKind(t *testing.T) {
	verifyNoLeaks(t)
	srv := newSim(t)
	st, cfg := createSim(t, srv, transloadittest.Script{
		Uploads: []transloadittest.Upload{{Name: "a.jpg"}, {Name: "b.png", Size: 1234}},
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "thumb", Robot: "/image/resize", Use: ":original", Results: 2},
			{Name: "filtered", Robot: "/file/filter", Use: "thumb"},
		},
		EmitExecutionProgress: true,
		StartOnStream:         true,
	})
	var got recorder
	if err := runClient(t, cfg, &got); err != nil {
		t.Fatalf("Run = %v; want nil", err)
	}
	us := got.got()
	seen := map[stream.Kind]int{}
	for i, u := range us {
		seen[u.Kind]++
		if u.Err != nil || u.Kind == stream.KindUnknown {
			t.Errorf("update %d = %v %q (err %v); want a known, well-formed update", i, u.Kind, u.Name, u.Err)
		}
	}
	for _, k := range []stream.Kind{stream.KindUploadFinished, stream.KindUploadingFinished, stream.KindMetaDataExtracted,
		stream.KindExecutionProgress, stream.KindResultFinished, stream.KindAssemblyFinished} {
		if seen[k] == 0 {
			t.Errorf("no %v update; kinds seen %v", k, seen)
		}
	}
	if last := us[len(us)-1]; last.Kind != stream.KindAssemblyFinished || seen[stream.KindAssemblyFinished] != 1 {
		t.Errorf("last update %v, %d assembly_finished; want exactly one, last", last.Kind, seen[stream.KindAssemblyFinished])
	}

	final := awaitTerminal(t, srv, st.AssemblyID)
	wantUploads, wantResults := statusKeys(final)
	if g := keysOf(us, stream.KindUploadFinished); !slices.Equal(g, wantUploads) {
		t.Errorf("uploads streamed %v; status has %v", g, wantUploads)
	}
	if g := keysOf(us, stream.KindResultFinished); !slices.Equal(sorted(g), sorted(wantResults)) || len(wantResults) != 2+4+4 {
		t.Errorf("results streamed %v; status has %v (want 10)", g, wantResults)
	}
	for _, u := range us {
		if u.Kind != stream.KindResultFinished {
			continue
		}
		want := findResult(final, u.Step, u.Result.ID)
		if want == nil || u.Result.Name != want.Name || u.Result.Size != want.Size || u.Result.OriginalID != want.OriginalID || u.Result.SSLURL != want.SSLURL {
			t.Errorf("streamed result %s/%s = %+v; status has %+v", u.Step, u.Result.ID, u.Result, want)
		}
	}

	origIDs := map[string]bool{}
	for _, f := range final.Uploads {
		origIDs[f.OriginalID] = true
	}
	for _, u := range us {
		if u.Kind != stream.KindExecutionProgress {
			continue
		}
		if u.Progress.Combined == nil || *u.Progress.Combined < 0 || *u.Progress.Combined > 100 {
			t.Errorf("progress_combined = %v; want 0..100", u.Progress.Combined)
		}
		for _, p := range u.Progress.PerFile {
			if !origIDs[p.OriginalID] {
				t.Errorf("progress for unknown original %q", p.OriginalID)
			}
		}
	}
	if n := srv.StreamConnections(st.AssemblyID); n != 1 {
		t.Errorf("StreamConnections = %d; want 1", n)
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func findResult(st *transloadit.Status, step, id string) *transloadit.File {
	for _, f := range st.Results.Get(step) {
		if f.ID == id {
			return &f
		}
	}
	return nil
}

// TestSimAssemblyError: a failing Step arrives as assembly_error with the
// Assembly's error code, and ends Run without a reconnect.
func TestSimAssemblyError(t *testing.T) {
	verifyNoLeaks(t)
	srv := newSim(t)
	st, cfg := createSim(t, srv, transloadittest.Script{
		FailStep:      "resized",
		FailCode:      transloadit.CodeWorkerJobError,
		StartOnStream: true,
	})
	var got recorder
	if err := runClient(t, cfg, &got); err != nil {
		t.Fatalf("Run = %v; want nil", err)
	}
	us := got.got()
	last := us[len(us)-1]
	if last.Kind != stream.KindAssemblyError || last.Error == nil || last.Error.Error != transloadit.CodeWorkerJobError || last.Err != nil {
		t.Fatalf("last update = %+v; want assembly_error %s", last, transloadit.CodeWorkerJobError)
	}
	if final := awaitTerminal(t, srv, st.AssemblyID); final.Error != transloadit.CodeWorkerJobError {
		t.Errorf("final status error %q", final.Error)
	}
	if n := srv.StreamConnections(st.AssemblyID); n != 1 {
		t.Errorf("StreamConnections = %d; want 1 (no reconnect after assembly_error)", n)
	}
}

// TestSimLateConnect: connecting to a finished Assembly yields one
// assembly_error and the end of the stream, not a reconnect loop.
func TestSimLateConnect(t *testing.T) {
	verifyNoLeaks(t)
	srv := newSim(t)
	st, cfg := createSim(t, srv, transloadittest.Script{})
	awaitTerminal(t, srv, st.AssemblyID)
	var got recorder
	if err := runClient(t, cfg, &got); err != nil {
		t.Fatalf("Run = %v; want nil", err)
	}
	us := got.got()
	if len(us) != 1 || us[0].Kind != stream.KindAssemblyError || us[0].Error.Error != transloadit.CodeNotFound {
		t.Fatalf("updates = %+v; want one assembly_error %s", us, transloadit.CodeNotFound)
	}
	if n := srv.StreamConnections(st.AssemblyID); n != 1 {
		t.Errorf("StreamConnections = %d; want 1", n)
	}
}

// TestSimDropAndResume: the simulator cuts the first connection after a
// few events; the client reconnects and reads to the end.
func TestSimDropAndResume(t *testing.T) {
	for _, tt := range []struct {
		name    string
		faults  transloadittest.Faults
		wantErr bool
	}{
		{"abrupt", transloadittest.Faults{DropStreamAfter: 3, DropStreamTimes: 1}, true},
		{"clean", transloadittest.Faults{DropStreamAfter: 3, DropStreamTimes: 1, DropClean: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			verifyNoLeaks(t)
			srv := newSim(t)
			st, cfg := createSim(t, srv, transloadittest.Script{StartOnStream: true, Faults: tt.faults})
			var got recorder
			if err := runClient(t, cfg, &got); err != nil {
				t.Fatalf("Run = %v; want nil", err)
			}
			us := got.got()
			if len(us) < 4 || us[len(us)-1].Kind != stream.KindAssemblyFinished {
				t.Fatalf("updates %v; want the first 3 and more, ending in assembly_finished", kinds(us))
			}
			if n := srv.StreamConnections(st.AssemblyID); n != 2 {
				t.Errorf("StreamConnections = %d; want 2", n)
			}
			d := got.disc()
			if len(d) != 2 || (d[0] != nil) != tt.wantErr || d[1] != nil {
				t.Errorf("OnDisconnect %v; want [error? %v, nil]", d, tt.wantErr)
			}
		})
	}
}

// TestSimDropStreams: a network cut in the middle of the lifecycle
// (DropStreams) is survived.
func TestSimDropStreams(t *testing.T) {
	verifyNoLeaks(t)
	srv := newSim(t)
	st, cfg := createSim(t, srv, transloadittest.Script{StartOnStream: true})
	var once sync.Once
	var got recorder
	rec := &got
	rec.wire(&cfg)
	c, err := stream.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Run(t.Context(), func(u stream.Update) {
		rec.handle(u)
		if u.Kind == stream.KindUploadingFinished {
			once.Do(srv.DropStreams)
		}
	})
	if err != nil {
		t.Fatalf("Run = %v; want nil", err)
	}
	if us := got.got(); us[len(us)-1].Kind != stream.KindAssemblyFinished {
		t.Errorf("updates %v; want assembly_finished last", kinds(us))
	}
	if n := srv.StreamConnections(st.AssemblyID); n != 2 || rec.conns() != 2 {
		t.Errorf("StreamConnections = %d, OnConnect %d; want 2, 2", n, rec.conns())
	}
}

// TestSimRefused: a refusal that retrying cannot change ends Run after one
// request; a 503 refusal is retried with backoff up to MaxAttempts.
func TestSimRefused(t *testing.T) {
	for _, tt := range []struct {
		name         string
		code         int
		maxAttempts  int
		want         error
		wantRequests int
	}{
		{"403", http.StatusForbidden, 0, stream.ErrStreamRefused, 1},
		{"404", http.StatusNotFound, 0, stream.ErrStreamRefused, 1},
		{"503 default", 0, 4, stream.ErrGaveUp, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			verifyNoLeaks(t)
			srv := newSim(t)
			_, cfg := createSim(t, srv, transloadittest.Script{
				Faults: transloadittest.Faults{RefuseSSE: true, RefuseSSECode: tt.code},
			})
			cfg.MaxAttempts = tt.maxAttempts
			var got recorder
			err := runClient(t, cfg, &got)
			var se *retry.StatusError
			if !errors.Is(err, tt.want) || !errors.As(err, &se) {
				t.Fatalf("Run = %v; want %v with a *retry.StatusError", err, tt.want)
			}
			if n := srv.Counters().StreamsRefused; n != tt.wantRequests {
				t.Errorf("StreamsRefused = %d; want %d", n, tt.wantRequests)
			}
			if got.conns() != 0 || len(got.got()) != 0 {
				t.Errorf("%d connects, %d updates; want none", got.conns(), len(got.got()))
			}
		})
	}
}

// TestSimDuplicatesOnReconnect: when the upstream repeats events after a
// reconnect, they are delivered again: the client cannot tell (the SSE id
// is the Assembly ID on every frame) and leaves deduplication to the
// consumer, as documented.
func TestSimDuplicatesOnReconnect(t *testing.T) {
	verifyNoLeaks(t)
	srv := newSim(t)
	st, cfg := createSim(t, srv, transloadittest.Script{
		StartOnStream: true,
		Awkward:       transloadittest.Awkward{DuplicateSSEOnReconnect: true},
		Faults:        transloadittest.Faults{DropStreamAfter: 4, DropStreamTimes: 1},
	})
	var got recorder
	if err := runClient(t, cfg, &got); err != nil {
		t.Fatalf("Run = %v; want nil", err)
	}
	us := got.got()
	seen := map[string]int{}
	dups := 0
	for _, u := range us {
		k := u.Name + "\x00" + string(u.Raw)
		if seen[k]++; seen[k] == 2 {
			dups++
		}
	}
	if dups == 0 {
		t.Errorf("no repeated update in %v; the replayed events must be delivered", names(us))
	}
	if n := srv.StreamConnections(st.AssemblyID); n != 2 {
		t.Errorf("StreamConnections = %d; want 2", n)
	}
}

// TestSimNoUpdateStreamURL: without update_stream_url the URL built from
// websocket_url works the same.
func TestSimNoUpdateStreamURL(t *testing.T) {
	verifyNoLeaks(t)
	srv := newSim(t)
	st, cfg := createSim(t, srv, transloadittest.Script{
		StartOnStream: true,
		Awkward:       transloadittest.Awkward{NoUpdateStreamURL: true},
	})
	if st.UpdateStreamURL != "" || st.WebsocketURL == "" {
		t.Fatalf("status has update_stream_url %q, websocket_url %q", st.UpdateStreamURL, st.WebsocketURL)
	}
	var got recorder
	if err := runClient(t, cfg, &got); err != nil {
		t.Fatalf("Run = %v; want nil", err)
	}
	if us := got.got(); len(us) == 0 || us[len(us)-1].Kind != stream.KindAssemblyFinished {
		t.Errorf("updates %v; want assembly_finished last", kinds(us))
	}
}

// TestSimKeepAliveKeepsStream: the phases of a slow Assembly are further
// apart than IdleTimeout, but the keep-alive comments between them are
// bytes, so the watchdog never fires.
func TestSimKeepAliveKeepsStream(t *testing.T) {
	verifyNoLeaks(t)
	srv := newSim(t, transloadittest.WithKeepAlive(20*time.Millisecond))
	st, cfg := createSim(t, srv, transloadittest.Script{StartOnStream: true, Tick: 250 * time.Millisecond})
	cfg.IdleTimeout = 150 * time.Millisecond
	var got recorder
	if err := runClient(t, cfg, &got); err != nil {
		t.Fatalf("Run = %v; want nil", err)
	}
	if n := srv.StreamConnections(st.AssemblyID); n != 1 {
		t.Errorf("StreamConnections = %d; want 1 (keep-alives are activity)", n)
	}
	for _, d := range got.disc() {
		if errors.Is(d, stream.ErrIdleTimeout) {
			t.Errorf("idle timeout despite keep-alives")
		}
	}
}
