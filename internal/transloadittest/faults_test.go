package transloadittest_test

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

// longScript has enough events to cut streams in the middle of it.
func longScript(f transloadittest.Faults, a transloadittest.Awkward) transloadittest.Script {
	return transloadittest.Script{
		StartOnStream: true, Faults: f, Awkward: a,
		Uploads: []transloadittest.Upload{{Name: "a.jpg"}, {Name: "b.jpg"}},
		Steps: []transloadittest.Step{
			{Name: ":original", Robot: "/upload/handle"},
			{Name: "resized", Robot: "/image/resize", Use: ":original", Results: 3},
		},
	}
}

func TestDropStreamAfter(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, longScript(transloadittest.Faults{DropStreamAfter: 2, DropStreamTimes: 1}, transloadittest.Awkward{}))
	if err := srv.Pause(created.AssemblyID); err != nil {
		t.Fatal(err)
	}
	first := openStream(t, srv, created.UpdateStreamURL)
	second := openStream(t, srv, created.UpdateStreamURL) // not dropped: DropStreamTimes is 1
	if err := srv.Resume(created.AssemblyID); err != nil {
		t.Fatal(err)
	}
	frames, err := first.All()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("first stream ended with %v; want an abrupt cut", err)
	}
	if got := names(frames); len(got) != 2 {
		t.Fatalf("first stream delivered %v; want 2 events", got)
	}
	frames, err = second.All()
	if err != nil {
		t.Fatalf("second stream ended with %v; want a clean close", err)
	}
	if got := names(frames); got[len(got)-1] != "assembly_finished" || count(got, "assembly_result_finished") != 8 {
		t.Errorf("second stream = %v; want every event to assembly_finished", got)
	}
	if c := srv.Counters(); c.StreamsDropped != 1 || c.StreamConnections != 2 || srv.StreamConnections(created.AssemblyID) != 2 {
		t.Errorf("counters %+v; want 1 dropped of 2", c)
	}
}

func TestDropStreamClean(t *testing.T) {
	srv := newServer(t, transloadittest.WithFaults(transloadittest.Faults{DropStreamAfter: 1, DropClean: true}))
	created := mustCreate(t, srv, longScript(transloadittest.Faults{}, transloadittest.Awkward{}))
	frames, err := openStream(t, srv, created.UpdateStreamURL).All()
	if err != nil {
		t.Fatalf("stream ended with %v; want a clean end", err)
	}
	if got := names(frames); len(got) != 1 || got[0] == "assembly_finished" {
		t.Errorf("stream = %v; want one event and a premature clean end", got)
	}
}

func TestDuplicateSSEOnReconnect(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, longScript(transloadittest.Faults{DropStreamAfter: 4, DropStreamTimes: 1},
		transloadittest.Awkward{DuplicateSSEOnReconnect: true}))
	first, _ := openStream(t, srv, created.UpdateStreamURL).All()
	if err := srv.Pause(created.AssemblyID); err != nil {
		t.Fatal(err)
	}
	r := openStream(t, srv, created.UpdateStreamURL)
	var second []sseFrame
	for range 4 { // id + the 3 re-sent events
		f, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		second = append(second, f)
	}
	if !slices.Equal(second[1:], first[2:]) {
		t.Errorf("reconnect started with %v; want the last 3 delivered events %v", names(second), names(first[2:]))
	}
	if err := srv.Resume(created.AssemblyID); err != nil {
		t.Fatal(err)
	}
	rest, err := r.All()
	if err != nil || names(rest)[len(rest)-1] != "assembly_finished" {
		t.Errorf("rest of the stream: %v, %v", names(rest), err)
	}
	// After the end, a reconnect repeats the final events, finish included.
	again, err := openStream(t, srv, created.UpdateStreamURL).All()
	if err != nil || count(names(again), "assembly_finished") != 1 || names(again)[len(again)-2] != "assembly_finished" {
		t.Errorf("reconnect after the end = %v, %v; want a duplicate assembly_finished", names(again), err)
	}
}

func TestRefuseSSE(t *testing.T) {
	srv := newServer(t)
	for _, tt := range []struct{ code, want int }{{0, 503}, {403, 403}} {
		created := mustCreate(t, srv, transloadittest.Script{Faults: transloadittest.Faults{RefuseSSE: true, RefuseSSECode: tt.code}})
		if r, code, _ := tryStream(t, srv, created.UpdateStreamURL, true); r != nil || code != tt.want {
			t.Errorf("refused stream = %d; want %d", code, tt.want)
		}
	}
	if got := srv.Counters().StreamsRefused; got != 2 {
		t.Errorf("StreamsRefused = %d; want 2", got)
	}
}

func TestStatus5xx(t *testing.T) {
	srv := newServer(t, transloadittest.WithRateLimit(0, 0))
	proxy := mustCreate(t, srv, transloadittest.Script{Faults: transloadittest.Faults{Status5xxRatio: 1}})
	code, body, h := get(t, srv, proxy.AssemblySSLURL)
	if code != http.StatusBadGateway || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("injected 5xx = %d %s; want 502 HTML", code, h.Get("Content-Type"))
	}
	if _, err := transloadit.DecodeStatus(body); !errors.Is(err, transloadit.ErrMalformedStatus) {
		t.Errorf("proxy body decoded: %v", err)
	}
	api := mustCreate(t, srv, transloadittest.Script{Faults: transloadittest.Faults{Status5xxRatio: 1, Status5xxCode: 500}})
	code, body, _ = get(t, srv, api.AssemblySSLURL)
	if code != 500 || decode(t, body).Error != transloadit.CodeServer500 {
		t.Errorf("injected 500 = %d %s; want SERVER_500", code, body)
	}
}

// TestFaultRatioIsSeeded: the same seed and Assembly ID give the same
// sequence of injected faults; about the chosen share of requests fail.
func TestFaultRatioIsSeeded(t *testing.T) {
	const id = "00112233445566778899aabbccddeeff"
	run := func(seed uint64) []int {
		srv := newServer(t, transloadittest.WithRateLimit(0, 0), transloadittest.WithSeed(seed))
		created := mustCreate(t, srv, transloadittest.Script{ID: id, Faults: transloadittest.Faults{Status5xxRatio: 0.3, MalformedRatio: 0.3}})
		var codes []int
		for range 40 {
			code, body, _ := get(t, srv, created.AssemblySSLURL)
			if code == 200 {
				if _, err := transloadit.DecodeStatus(body); err != nil {
					code = -1 // malformed
				}
			}
			codes = append(codes, code)
		}
		c := srv.Counters()
		if c.Injected5xx != count5(codes, 502) || c.InjectedMalformed != count5(codes, -1) {
			t.Errorf("counters %+v do not match codes %v", c, codes)
		}
		srv.Close()
		return codes
	}
	a, b, other := run(7), run(7), run(8)
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different faults:\n%v\n%v", a, b)
	}
	if slices.Equal(a, other) {
		t.Errorf("different seeds gave the same faults %v", a)
	}
	for _, want := range []int{200, 502, -1} {
		if count5(a, want) == 0 {
			t.Errorf("codes %v never %d", a, want)
		}
	}
}

func count5(codes []int, c int) int {
	n := 0
	for _, x := range codes {
		if x == c {
			n++
		}
	}
	return n
}

func TestMalformed(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, transloadittest.Script{Faults: transloadittest.Faults{MalformedRatio: 1}})
	code, body, _ := get(t, srv, created.AssemblySSLURL)
	if _, err := transloadit.DecodeStatus(body); code != 200 || !errors.Is(err, transloadit.ErrMalformedStatus) {
		t.Errorf("malformed status: %d, decode error %v", code, err)
	}
}

func TestLatency(t *testing.T) {
	const latency = 150 * time.Millisecond
	srv := newServer(t)
	created := mustCreate(t, srv, transloadittest.Script{StartOnStream: true, Faults: transloadittest.Faults{Latency: latency}})
	start := time.Now()
	if code, _, _ := get(t, srv, created.AssemblySSLURL); code != 200 {
		t.Fatalf("GET = %d", code)
	}
	if d := time.Since(start); d < latency {
		t.Errorf("status answered after %v; want at least %v", d, latency)
	}
	start = time.Now()
	openStream(t, srv, created.UpdateStreamURL)
	if d := time.Since(start); d < latency {
		t.Errorf("stream answered after %v; want at least %v", d, latency)
	}
}

func TestMachineDown(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, longScript(transloadittest.Faults{}, transloadittest.Awkward{}))
	id := created.AssemblyID
	if err := srv.Pause(id); err != nil {
		t.Fatal(err)
	}
	r := openStream(t, srv, created.UpdateStreamURL)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	srv.SetMachineDown(true)
	if _, err := r.All(); err == nil {
		t.Error("open stream survived the machine going down")
	}
	_, err := srv.Client().Get(created.AssemblySSLURL)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET on the down machine: %v; want connection refused", err)
	}
	if code, _, _ := get(t, srv, transloadit.StatusURL(srv.URL, id)); code != 200 {
		t.Errorf("base host GET while the machine is down = %d; want 200", code)
	}
	srv.SetMachineDown(false)
	if code, _, _ := get(t, srv, created.AssemblySSLURL); code != 200 {
		t.Errorf("GET after the machine came back = %d", code)
	}
	r = openStream(t, srv, created.UpdateStreamURL)
	if err := srv.Resume(id); err != nil {
		t.Fatal(err)
	}
	frames, err := r.All()
	if got := names(frames); err != nil || got[len(got)-1] != "assembly_finished" {
		t.Errorf("stream after the machine came back: %v, %v", got, err)
	}
}

func TestDropStreamsAndAwaitReconnect(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, longScript(transloadittest.Faults{}, transloadittest.Awkward{}))
	id := created.AssemblyID
	ctx := testContext(t)
	if err := srv.Pause(id); err != nil {
		t.Fatal(err)
	}
	r := openStream(t, srv, created.UpdateStreamURL)
	if err := srv.AwaitStreamConnected(ctx, id); err != nil {
		t.Fatal(err)
	}
	srv.DropStreams()
	if n := srv.OpenStreams(id); n != 0 {
		t.Errorf("OpenStreams after DropStreams = %d; want 0", n)
	}
	if _, err := r.All(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("dropped stream ended with %v; want an abrupt cut", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.AwaitStreamConnected(ctx, id) }()
	openStream(t, srv, created.UpdateStreamURL)
	if err := <-done; err != nil {
		t.Errorf("AwaitStreamConnected after reconnect: %v", err)
	}
	if err := srv.AwaitStreamConnections(ctx, id, 2); err != nil || srv.StreamConnections(id) != 2 {
		t.Errorf("AwaitStreamConnections(2): %v, %d", err, srv.StreamConnections(id))
	}
}

func TestAwkwardStatusShapes(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, transloadittest.Script{Awkward: transloadittest.Awkward{NullBytesExpected: true, NoUpdateStreamURL: true}})
	code, body, _ := get(t, srv, created.AssemblySSLURL)
	if code != 200 {
		t.Fatalf("GET = %d", code)
	}
	m := keys(t, body)
	if string(m["bytes_expected"]) != "null" {
		t.Errorf("bytes_expected = %s; want null", m["bytes_expected"])
	}
	if _, ok := m["update_stream_url"]; ok {
		t.Error("update_stream_url present")
	}
	st := decode(t, body)
	if st.BytesExpected != nil || st.UpdateStreamURL != "" {
		t.Errorf("decoded bytes_expected %v, update_stream_url %q", st.BytesExpected, st.UpdateStreamURL)
	}
	// Clients build the stream URL from websocket_url, as Uppy does.
	frames, err := openStream(t, srv, st.StreamURL()).All()
	if err != nil || len(frames) == 0 || frames[0].ID != created.AssemblyID {
		t.Errorf("stream at StreamURL(): %v, %v", names(frames), err)
	}
}

func TestOnStatusHook(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, transloadittest.Script{})
	var seen []string
	srv.OnStatus = func(id string, r *http.Request) (int, []byte, bool) {
		seen = append(seen, id)
		if r.URL.Query().Get("hook") == "" {
			return 0, nil, false
		}
		return http.StatusTeapot, []byte(`{"error":"SIMULATED"}`), true
	}
	code, body, _ := get(t, srv, created.AssemblySSLURL+"?hook=1")
	if code != http.StatusTeapot || string(body) != `{"error":"SIMULATED"}` {
		t.Errorf("hooked GET = %d %s", code, body)
	}
	if code, _, _ := get(t, srv, created.AssemblySSLURL); code != 200 {
		t.Errorf("unhooked GET = %d", code)
	}
	srv.SetOnStatus(nil)
	if len(seen) != 2 || seen[0] != created.AssemblyID || srv.Counters().StatusHooked != 1 {
		t.Errorf("hook saw %v, counters %+v", seen, srv.Counters())
	}
}

func TestFaultsOverride(t *testing.T) {
	srv := newServer(t, transloadittest.WithFaults(transloadittest.Faults{RefuseSSE: true}))
	a := mustCreate(t, srv, transloadittest.Script{})
	if r, code, _ := tryStream(t, srv, a.UpdateStreamURL, true); r != nil || code != 503 {
		t.Errorf("global RefuseSSE: stream = %d", code)
	}
	srv.SetFaults(transloadittest.Faults{})
	if r, code, _ := tryStream(t, srv, a.UpdateStreamURL, true); r == nil {
		t.Errorf("after SetFaults({}): stream = %d; want 200", code)
	}
	if err := srv.SetAssemblyFaults(a.AssemblyID, transloadittest.Faults{Status5xxRatio: 1}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := get(t, srv, a.AssemblySSLURL); code != 502 {
		t.Errorf("after SetAssemblyFaults: GET = %d; want 502", code)
	}
}

// TestCloseDoesNotWait closes the Server under an open stream and a
// delayed status request; the test's own timeout guards against a hang.
func TestCloseDoesNotWait(t *testing.T) {
	srv := transloadittest.NewServer(transloadittest.WithTick(time.Hour))
	created, err := srv.Create(testContext(t), transloadittest.Script{})
	if err != nil {
		t.Fatal(err)
	}
	id := created.AssemblyID
	openStream(t, srv, created.UpdateStreamURL)
	if err := srv.SetAssemblyFaults(id, transloadittest.Faults{Latency: time.Hour}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Get(created.AssemblySSLURL)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	if err := srv.AwaitStatusRequests(testContext(t), id, 1); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if err := <-errc; err == nil {
		t.Error("delayed status request succeeded after Close")
	}
	srv.Close() // idempotent
	if _, err := srv.Create(testContext(t), transloadittest.Script{}); !errors.Is(err, transloadittest.ErrClosed) {
		t.Errorf("Create after Close: %v; want ErrClosed", err)
	}
	if err := srv.AwaitStreamConnections(testContext(t), id, 5); !errors.Is(err, transloadittest.ErrClosed) {
		t.Errorf("AwaitStreamConnections after Close: %v; want ErrClosed", err)
	}
}
