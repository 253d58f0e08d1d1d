package stream_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/dialguard"
	"github.com/tlbridge/tlbridge/internal/retry"
	"github.com/tlbridge/tlbridge/internal/retry/retrytest"
	"github.com/tlbridge/tlbridge/internal/testnet"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/stream"
)

func TestNewClientRejects(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  stream.Config
		want error
	}{
		{"no url", stream.Config{AllowList: loopback}, stream.ErrInvalidConfig},
		{"host off the list", stream.Config{URL: "http://10.0.0.1/ws1", AllowList: loopback}, transloadit.ErrURLNotAllowed},
		{"http not allowed", stream.Config{URL: "http://127.0.0.1/ws1", AllowList: transloadit.AllowList{HostSuffixes: []string{"127.0.0.1"}}}, transloadit.ErrURLNotAllowed},
		{"file scheme", stream.Config{URL: "file:///etc/passwd", AllowList: loopback}, transloadit.ErrURLNotAllowed},
		{"negative size", stream.Config{URL: "http://127.0.0.1/", AllowList: loopback, MaxEventSize: -1}, stream.ErrInvalidConfig},
		{"min above max", stream.Config{URL: "http://127.0.0.1/", AllowList: loopback, MinBackoff: time.Minute, MaxBackoff: time.Second}, stream.ErrInvalidConfig},
		{"negative attempts", stream.Config{URL: "http://127.0.0.1/", AllowList: loopback, MaxAttempts: -1}, stream.ErrInvalidConfig},
		{"negative idle", stream.Config{URL: "http://127.0.0.1/", AllowList: loopback, IdleTimeout: -time.Second}, stream.ErrInvalidConfig},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := stream.NewClient(tt.cfg)
			if !errors.Is(err, tt.want) || c != nil {
				t.Errorf("NewClient(%+v) = %v, %v; want nil, %v", tt.cfg, c, err, tt.want)
			}
		})
	}
}

func TestRunNilHandler(t *testing.T) {
	c, err := stream.NewClient(stream.Config{URL: "http://127.0.0.1:1" + streamPath, AllowList: loopback})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(t.Context(), nil); !errors.Is(err, stream.ErrInvalidConfig) {
		t.Errorf("Run(nil) = %v; want ErrInvalidConfig", err)
	}
}

// TestDropAndResume cuts the stream mid-way, cleanly and abruptly, and
// checks that the rest arrives on a new connection that does not echo the
// upstream's id as Last-Event-ID.
func TestDropAndResume(t *testing.T) {
	rec := readRecording(t)
	first := cutAfter(rec, 4) // id, upload, uploading_finished, result
	for _, tt := range []struct {
		name    string
		cut     func()
		wantErr bool // OnDisconnect gets an error for the cut
	}{
		{"clean close", func() {}, false},
		{"abrupt close", abort, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			verifyNoLeaks(t)
			srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 0 {
					serveBytes(w, first, 0)
					tt.cut()
					return
				}
				startStream(w)
				send(w, "id: 2b7beaddf0a046e2ada603346f2cbee1\n\n")
				send(w, string(rec[len(first):]))
			})
			var got recorder
			if err := runClient(t, testConfig(t, srv.URL), &got); err != nil {
				t.Fatalf("Run = %v; want nil", err)
			}
			if !reflect.DeepEqual(kinds(got.got()), recordingKinds) {
				t.Errorf("kinds = %v; want %v", kinds(got.got()), recordingKinds)
			}
			if n := srv.requests(); n != 2 {
				t.Errorf("server saw %d requests; want 2", n)
			}
			d := got.disc()
			if got.conns() != 2 || len(d) != 2 || (d[0] != nil) != tt.wantErr || d[1] != nil {
				t.Errorf("OnConnect %d, OnDisconnect %v; want 2 and [cut error? %v, nil]", got.conns(), d, tt.wantErr)
			}
			if id := srv.request(1).Header.Get("Last-Event-ID"); id != "" {
				t.Errorf("reconnect sent Last-Event-ID %q; the upstream id is the Assembly ID and must not be echoed", id)
			}
		})
	}
}

// trackingTransport counts response bodies and their closes.
type trackingTransport struct{ opened, closed atomic.Int32 }

func (tr *trackingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	tr.opened.Add(1)
	resp.Body = &trackedBody{ReadCloser: resp.Body, tr: tr}
	return resp, nil
}

type trackedBody struct {
	io.ReadCloser
	tr   *trackingTransport
	once atomic.Bool
}

func (b *trackedBody) Close() error {
	if b.once.CompareAndSwap(false, true) {
		b.tr.closed.Add(1)
	}
	return b.ReadCloser.Close()
}

// TestRefused: answers that retrying cannot change end Run after one
// request, with the body closed and the status reported.
func TestRefused(t *testing.T) {
	for _, tt := range []struct {
		code     int
		body     string
		wantCode string
	}{
		{http.StatusUnauthorized, "", ""},
		{http.StatusForbidden, "forbidden", ""},
		{http.StatusNotFound, `{"error":"ASSEMBLY_NOT_FOUND","message":"no such assembly"}`, transloadit.CodeNotFound},
		{http.StatusGone, "", ""},
		{http.StatusNoContent, "", ""},
	} {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			verifyNoLeaks(t)
			srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.code)
				io.WriteString(w, tt.body)
			})
			tr := &trackingTransport{}
			cfg := testConfig(t, srv.URL)
			cfg.HTTPClient = &http.Client{Transport: tr}
			var got recorder
			err := runClient(t, cfg, &got)
			var se *retry.StatusError
			if !errors.Is(err, stream.ErrStreamRefused) || !errors.As(err, &se) || se.Code != tt.code || se.TransloaditCode != tt.wantCode {
				t.Fatalf("Run = %v; want a *retry.StatusError %d (code %q) matching ErrStreamRefused", err, tt.code, tt.wantCode)
			}
			if n := srv.requests(); n != 1 {
				t.Errorf("server saw %d requests; want exactly 1", n)
			}
			if o, c := tr.opened.Load(), tr.closed.Load(); o != 1 || c != 1 {
				t.Errorf("bodies opened %d, closed %d; want 1, 1", o, c)
			}
			if got.conns() != 0 || len(got.disc()) != 0 || len(got.got()) != 0 {
				t.Errorf("callbacks: %d connects, %v disconnects, %d updates; want none", got.conns(), got.disc(), len(got.got()))
			}
		})
	}
}

// TestRetried: 5xx, 408, 429 and a 200 that is not an event stream are
// retried with backoff until the stream works, without a total-time cap.
func TestRetried(t *testing.T) {
	rec := readRecording(t)
	for _, tt := range []struct {
		name     string
		failures int
		fail     func(w http.ResponseWriter)
	}{
		{"500", 3, func(w http.ResponseWriter) { w.WriteHeader(500) }},
		{"503 many", 25, func(w http.ResponseWriter) { w.WriteHeader(503) }},
		{"408", 1, func(w http.ResponseWriter) { w.WriteHeader(408) }},
		{"429", 2, func(w http.ResponseWriter) { w.WriteHeader(429) }},
		{"html 200", 2, func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>log in first</html>")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			verifyNoLeaks(t)
			srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n < tt.failures {
					tt.fail(w)
					return
				}
				serveBytes(w, rec, 0)
			})
			cfg := testConfig(t, srv.URL)
			cfg.MaxBackoff = 2 * time.Millisecond
			var got recorder
			if err := runClient(t, cfg, &got); err != nil {
				t.Fatalf("Run = %v; want nil", err)
			}
			if n := srv.requests(); n != tt.failures+1 {
				t.Errorf("server saw %d requests; want %d", n, tt.failures+1)
			}
			if got.conns() != 1 || !reflect.DeepEqual(kinds(got.got()), recordingKinds) {
				t.Errorf("OnConnect %d times, kinds %v; want 1 and the recording", got.conns(), kinds(got.got()))
			}
		})
	}
}

// TestGaveUp: MaxAttempts bounds consecutive failed connects.
func TestGaveUp(t *testing.T) {
	verifyNoLeaks(t)
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	cfg := testConfig(t, srv.URL)
	cfg.MaxAttempts = 3
	var got recorder
	err := runClient(t, cfg, &got)
	var se *retry.StatusError
	if !errors.Is(err, stream.ErrGaveUp) || !errors.As(err, &se) || se.Code != 500 {
		t.Fatalf("Run = %v; want ErrGaveUp wrapping HTTP 500", err)
	}
	if n := srv.requests(); n != 3 {
		t.Errorf("server saw %d requests; want 3", n)
	}
}

// TestGaveUpNetwork: a host that refuses connections counts toward
// MaxAttempts too.
func TestGaveUpNetwork(t *testing.T) {
	verifyNoLeaks(t)
	srv := newServer(t, func(int, http.ResponseWriter, *http.Request) {})
	url := srv.URL
	srv.Close()
	cfg := testConfig(t, url)
	cfg.MaxAttempts = 2
	var got recorder
	if err := runClient(t, cfg, &got); !errors.Is(err, stream.ErrGaveUp) {
		t.Fatalf("Run = %v; want ErrGaveUp", err)
	}
}

// TestConnectedResetsAttempts: a connection that worked resets the count
// of consecutive failures.
func TestConnectedResetsAttempts(t *testing.T) {
	verifyNoLeaks(t)
	rec := readRecording(t)
	first := cutAfter(rec, 3)
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 0, 2:
			w.WriteHeader(502)
		case 1:
			serveBytes(w, first, 0)
			abort()
		default:
			startStream(w)
			send(w, string(rec[len(first):]))
		}
	})
	cfg := testConfig(t, srv.URL)
	cfg.MaxAttempts = 2
	var got recorder
	if err := runClient(t, cfg, &got); err != nil {
		t.Fatalf("Run = %v; want nil (a connection in between resets the failure count)", err)
	}
	if n := srv.requests(); n != 4 {
		t.Errorf("server saw %d requests; want 4", n)
	}
}

// TestRetryAfterHonoured: a 429's Retry-After is waited out even when the
// backoff is shorter.
func TestRetryAfterHonoured(t *testing.T) {
	verifyNoLeaks(t)
	rec := readRecording(t)
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		serveBytes(w, rec, 0)
	})
	clock := retrytest.NewClock()
	cfg := testConfig(t, srv.URL)
	cfg.Clock = clock
	cfg.IdleTimeout = time.Hour // its timer stays out of the way of the backoff's
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	go func() {
		if clock.WaitTimers(ctx, 1, time.Minute) != nil {
			return
		}
		if d, _ := clock.Next(); d != time.Second {
			t.Errorf("wait after the 429 = %v; want the Retry-After of 1s over a shorter backoff", d)
		}
		clock.Advance(time.Second)
	}()
	var got recorder
	if err := runClient(t, cfg, &got); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if n := srv.requests(); n != 2 {
		t.Fatalf("server saw %d requests; want 2", n)
	}
}

// TestAcceptAndHangUpIsNotHammered: a server that answers 200 and closes
// at once, forever, is retried with a growing backoff, not in a loop.
func TestAcceptAndHangUpIsNotHammered(t *testing.T) {
	verifyNoLeaks(t)
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		startStream(w)
		send(w, "id: 2b7beaddf0a046e2ada603346f2cbee1\n\n")
	})
	clock := retrytest.NewClock()
	cfg := testConfig(t, srv.URL)
	cfg.Clock = clock
	cfg.MinBackoff, cfg.MaxBackoff = 20*time.Millisecond, time.Second
	cfg.IdleTimeout = time.Hour // its timer stays out of the way of the backoff's
	c, err := stream.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, func(stream.Update) {}) }()
	// Each wait is at least half its step, and the step doubles from
	// MinBackoff to MaxBackoff: 10, 20, 40, 80, 160, 320, 500, 500 ms.
	const rounds = 8
	for i := range rounds {
		if err := clock.WaitTimers(ctx, 1, cfg.MaxBackoff); err != nil {
			t.Fatalf("no backoff wait after connect %d", i+1)
		}
		d, _ := clock.Next()
		step := min(cfg.MinBackoff<<i, cfg.MaxBackoff)
		if d < step/2 || d > step {
			t.Errorf("wait %d = %v; want in [%v, %v]", i+1, d, step/2, step)
		}
		clock.Advance(d)
	}
	if err := clock.WaitTimers(ctx, 1, cfg.MaxBackoff); err != nil {
		t.Fatalf("no backoff wait after connect %d", rounds+1)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v; want context.Canceled", err)
	}
	if n := srv.requests(); n != rounds+1 {
		t.Errorf("server saw %d requests; want %d, one per wait and the first", n, rounds+1)
	}
}

func TestEventTooLarge(t *testing.T) {
	const limit = 1024
	small := "event: assembly_upload_finished\ndata: {\"id\":\"a\"}\n\n"
	frameOf := func(size int) string { // an upload event frame of exactly size bytes
		head := "event: assembly_upload_finished\ndata: {\"id\":\"b\",\"name\":\""
		tail := "\"}\n\n"
		return head + strings.Repeat("x", size-len(head)-len(tail)) + tail
	}
	for _, tt := range []struct {
		name    string
		size    int
		wantErr bool
	}{
		{"at the limit", limit, false},
		{"one byte over", limit + 1, true},
		{"far over", 10 * limit, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			verifyNoLeaks(t)
			// The server replays from the start on every connect, as an
			// upstream that ignores Last-Event-ID would: a reconnect loop
			// would show as extra requests and repeated updates.
			srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				startStream(w)
				send(w, "id: 2b7beaddf0a046e2ada603346f2cbee1\n\n")
				send(w, small)
				send(w, frameOf(tt.size))
				send(w, "data: assembly_finished\n\n")
			})
			cfg := testConfig(t, srv.URL)
			cfg.MaxEventSize = limit
			var got recorder
			err := runClient(t, cfg, &got)
			if !tt.wantErr {
				if err != nil || len(got.got()) != 3 || got.got()[1].Upload == nil || len(got.got()[1].Upload.Name) == 0 {
					t.Fatalf("Run = %v with %d updates; want nil and 3", err, len(got.got()))
				}
				return
			}
			if !errors.Is(err, stream.ErrEventTooLarge) {
				t.Fatalf("Run = %v; want ErrEventTooLarge", err)
			}
			if n := srv.requests(); n != 1 {
				t.Errorf("server saw %d requests; want 1 (no reconnect)", n)
			}
			if us := got.got(); len(us) != 1 || us[0].Upload == nil || us[0].Upload.ID != "a" {
				t.Errorf("updates = %v; want the small upload exactly once", names(us))
			}
			if d := got.disc(); len(d) != 1 || !errors.Is(d[0], stream.ErrEventTooLarge) {
				t.Errorf("OnDisconnect %v; want [ErrEventTooLarge]", d)
			}
		})
	}
}

// TestDefaultSizeFitsLargeEvent: the SSE library's default 64 KiB bound
// would fail on this 200 KiB result; the default MaxEventSize does not.
func TestDefaultSizeFitsLargeEvent(t *testing.T) {
	verifyNoLeaks(t)
	big := `["big",{"id":"r1","meta":{"blob":"` + strings.Repeat("y", 200<<10) + `"}}]`
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		startStream(w)
		send(w, "event: assembly_result_finished\ndata: "+big+"\n\n")
		send(w, "data: assembly_finished\n\n")
	})
	var got recorder
	if err := runClient(t, testConfig(t, srv.URL), &got); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if us := got.got(); len(us) != 2 || us[0].Result == nil || us[0].Result.ID != "r1" || len(us[0].Raw) != len(big) {
		t.Errorf("updates = %v", names(us))
	}
}

func TestCancel(t *testing.T) {
	t.Run("open stream", func(t *testing.T) {
		verifyNoLeaks(t)
		var srv *server
		srv = newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			startStream(w)
			send(w, "id: 2b7beaddf0a046e2ada603346f2cbee1\n\ndata: assembly_uploading_finished\n\n")
			srv.hold(r)
		})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var rec recorder
		cfg := testConfig(t, srv.URL)
		rec.wire(&cfg)
		c, _ := stream.NewClient(cfg)
		var at time.Time
		err := c.Run(ctx, func(u stream.Update) {
			rec.handle(u)
			at = time.Now()
			cancel()
		})
		t.Logf("Run returned %v after cancel", time.Since(at))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v; want context.Canceled", err)
		}
		if d := rec.disc(); len(d) != 1 || !errors.Is(d[0], context.Canceled) {
			t.Errorf("OnDisconnect %v; want [context.Canceled]", d)
		}
	})
	t.Run("during backoff", func(t *testing.T) {
		verifyNoLeaks(t)
		arrived := make(chan struct{}, 1)
		srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(503)
			arrived <- struct{}{}
		})
		clock := retrytest.NewClock()
		cfg := testConfig(t, srv.URL)
		cfg.Clock = clock
		cfg.MinBackoff, cfg.MaxBackoff = time.Hour, time.Hour // a wait the test never sits out
		cfg.IdleTimeout = 2 * time.Hour                       // beyond the backoff, to tell their timers apart
		c, _ := stream.NewClient(cfg)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go func() {
			<-arrived
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			defer wcancel()
			if clock.WaitTimers(wctx, 1, time.Hour) != nil {
				t.Error("Run never entered its backoff wait")
			}
			cancel()
		}()
		err := c.Run(ctx, func(stream.Update) {})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v; want context.Canceled", err)
		}
		if n := srv.requests(); n != 1 {
			t.Errorf("server saw %d requests; want 1", n)
		}
	})
	t.Run("while connecting", func(t *testing.T) {
		verifyNoLeaks(t)
		arrived := make(chan struct{}, 1)
		var srv *server
		srv = newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			srv.hold(r) // never answers
		})
		c, _ := stream.NewClient(testConfig(t, srv.URL))
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go func() {
			<-arrived
			cancel()
		}()
		if err := c.Run(ctx, func(stream.Update) {}); !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v; want context.Canceled", err)
		}
	})
}

// TestRefusedAtDial: without an HTTPClient the client dials through
// dialguard, so an address refused at dial time (a name that resolves to
// loopback or private space) ends Run at once, without a request and
// without reconnecting.
func TestRefusedAtDial(t *testing.T) {
	verifyNoLeaks(t)
	srv := newServer(t, func(int, http.ResponseWriter, *http.Request) {})
	refuse := errors.New("refused by the test")
	dialguard.RestrictAll(func(netip.Addr) error { return refuse })
	t.Cleanup(func() { dialguard.RestrictAll(testnet.LoopbackOnly) })
	var got recorder
	err := runClient(t, testConfig(t, srv.URL), &got)
	if !errors.Is(err, dialguard.ErrRefused) || !errors.Is(err, refuse) {
		t.Fatalf("Run = %v; want dialguard.ErrRefused", err)
	}
	if n := srv.requests(); n != 0 || got.conns() != 0 {
		t.Errorf("requests = %d, connects = %d; want 0 and 0", n, got.conns())
	}
}

// TestDefaultEventBound: without MaxEventSize an event of 3 MiB is refused
// (the default bound is 2 MiB), so twenty hostile streams cannot hold
// hundreds of megabytes.
func TestDefaultEventBound(t *testing.T) {
	verifyNoLeaks(t)
	if stream.DefaultMaxEventSize != 2<<20 {
		t.Errorf("DefaultMaxEventSize = %d; want 2 MiB", stream.DefaultMaxEventSize)
	}
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		startStream(w)
		send(w, "event: assembly_upload_finished\ndata: {\"id\":\"b\",\"name\":\""+strings.Repeat("x", 3<<20)+"\"}\n\n")
		send(w, "data: assembly_finished\n\n")
	})
	var got recorder
	if err := runClient(t, testConfig(t, srv.URL), &got); !errors.Is(err, stream.ErrEventTooLarge) {
		t.Fatalf("Run = %v; want ErrEventTooLarge", err)
	}
	if n := srv.requests(); n != 1 {
		t.Errorf("requests = %d; want 1 (no reconnect)", n)
	}
}
