package stream_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry/retrytest"
	"github.com/tlbridge/tlbridge/stream"
)

// TestIdleWatchdog: a stream silent for IdleTimeout is dropped and
// re-established; silence before the response headers counts too.
func TestIdleWatchdog(t *testing.T) {
	rec := readRecording(t)
	for _, tt := range []struct {
		name      string
		first     func(s *server, w http.ResponseWriter, r *http.Request)
		wantConns int
	}{
		{"headers only", func(s *server, w http.ResponseWriter, r *http.Request) {
			startStream(w) // OnConnect must fire on the 200, not on a first event
			s.hold(r)
		}, 2},
		{"silent after the id line", func(s *server, w http.ResponseWriter, r *http.Request) {
			startStream(w)
			send(w, "id: 2b7beaddf0a046e2ada603346f2cbee1\n\n")
			s.hold(r)
		}, 2},
		{"silent after an update", func(s *server, w http.ResponseWriter, r *http.Request) {
			startStream(w)
			send(w, "id: 2b7beaddf0a046e2ada603346f2cbee1\n\ndata: assembly_uploading_finished\n\n")
			s.hold(r)
		}, 2},
		{"no response headers", func(s *server, w http.ResponseWriter, r *http.Request) {
			s.hold(r)
		}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			verifyNoLeaks(t)
			var srv *server
			srv = newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 0 {
					tt.first(srv, w, r)
					return
				}
				serveBytes(w, rec, 0)
			})
			cfg := testConfig(t, srv.URL)
			cfg.IdleTimeout = 300 * time.Millisecond
			var got recorder
			if err := runClient(t, cfg, &got); err != nil {
				t.Fatalf("Run = %v; want nil", err)
			}
			if n := srv.requests(); n != 2 {
				t.Errorf("server saw %d requests; want 2", n)
			}
			d := got.disc()
			if got.conns() != tt.wantConns || len(d) != tt.wantConns || (tt.wantConns == 2 && !errors.Is(d[0], stream.ErrIdleTimeout)) {
				t.Errorf("OnConnect %d, OnDisconnect %v; want %d connects, the first ending in ErrIdleTimeout", got.conns(), d, tt.wantConns)
			}
			if k := kinds(got.got()); len(k) < len(recordingKinds) || !reflect.DeepEqual(k[len(k)-len(recordingKinds):], recordingKinds) {
				t.Errorf("kinds = %v; want the recording at the end", k)
			}
		})
	}
}

// TestIdleWatchdogSeesComments: keep-alive comments never reach the
// handler, yet they keep the stream alive: the watchdog counts bytes.
func TestIdleWatchdogSeesComments(t *testing.T) {
	verifyNoLeaks(t)
	rec := readRecording(t)
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		startStream(w)
		send(w, "id: 2b7beaddf0a046e2ada603346f2cbee1\n\n")
		for range 40 { // 1s of keep-alives, twice the idle timeout
			send(w, ": keep-alive\n\n")
			time.Sleep(25 * time.Millisecond)
		}
		w.Write(rec)
	})
	cfg := testConfig(t, srv.URL)
	cfg.IdleTimeout = 500 * time.Millisecond
	var got recorder
	if err := runClient(t, cfg, &got); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if n := srv.requests(); n != 1 {
		t.Errorf("server saw %d requests; want 1 (comments must count as activity)", n)
	}
	if !reflect.DeepEqual(kinds(got.got()), recordingKinds) {
		t.Errorf("kinds = %v; want the recording, and no update for a comment", kinds(got.got()))
	}
}

// TestSlowHandlerIsNotIdle: time spent in the handler is the consumer's,
// not the server's silence.
func TestSlowHandlerIsNotIdle(t *testing.T) {
	verifyNoLeaks(t)
	rec := readRecording(t)
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) { serveBytes(w, rec, 0) })
	clock := retrytest.NewClock()
	cfg := testConfig(t, srv.URL)
	cfg.Clock = clock
	cfg.IdleTimeout = 100 * time.Millisecond
	var got recorder
	cfg.OnConnect = nil
	c, err := stream.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err = c.Run(ctx, func(u stream.Update) {
		if u.Kind == stream.KindUploadFinished && len(got.got()) == 0 {
			// Four idle limits pass inside the handler, each one seen by
			// the watchdog's timer.
			for range 4 {
				if err := clock.WaitTimers(ctx, 1, cfg.IdleTimeout); err != nil {
					t.Error("the watchdog stopped re-arming while the handler was busy")
					break
				}
				clock.Advance(cfg.IdleTimeout)
			}
		}
		got.handle(u)
	})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	if n := srv.requests(); n != 1 {
		t.Errorf("server saw %d requests; want 1", n)
	}
}

// TestFinishedButNotClosed: when the server keeps the stream open after
// assembly_finished, Run still ends (nil) after a short drain.
func TestFinishedButNotClosed(t *testing.T) {
	verifyNoLeaks(t)
	rec := readRecording(t)
	var srv *server
	srv = newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		serveBytes(w, rec, 0)
		srv.hold(r)
	})
	cfg := testConfig(t, srv.URL)
	cfg.IdleTimeout = 200 * time.Millisecond
	var got recorder
	if err := runClient(t, cfg, &got); err != nil {
		t.Fatalf("Run = %v; want nil", err)
	}
	if n := srv.requests(); n != 1 || !reflect.DeepEqual(kinds(got.got()), recordingKinds) {
		t.Errorf("requests %d, kinds %v; want 1 and the recording", n, kinds(got.got()))
	}
}

// TestTrailingUpdateAfterFinished: an update the server sends after
// assembly_finished, before it closes, is still delivered.
func TestTrailingUpdateAfterFinished(t *testing.T) {
	verifyNoLeaks(t)
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		startStream(w)
		send(w, "data: assembly_finished\n\n")
		time.Sleep(20 * time.Millisecond)
		send(w, "event: assembly_result_finished\ndata: [\"late\",{\"id\":\"r9\"}]\n\n")
	})
	var got recorder
	if err := runClient(t, testConfig(t, srv.URL), &got); err != nil {
		t.Fatalf("Run = %v", err)
	}
	want := []stream.Kind{stream.KindAssemblyFinished, stream.KindResultFinished}
	if !reflect.DeepEqual(kinds(got.got()), want) || srv.requests() != 1 {
		t.Errorf("kinds %v, requests %d; want %v and 1", kinds(got.got()), srv.requests(), want)
	}
}

// TestAssemblyErrorEnds: after assembly_error (what a late connect to a
// finished Assembly gets) the closed stream is not reconnected.
func TestAssemblyErrorEnds(t *testing.T) {
	verifyNoLeaks(t)
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		startStream(w)
		send(w, "id: 2b7beaddf0a046e2ada603346f2cbee1\n\n")
		send(w, "event: assembly_error\ndata: {\"error\":\"ASSEMBLY_NOT_FOUND\",\"message\":\"gone\"}\n\n")
	})
	var got recorder
	if err := runClient(t, testConfig(t, srv.URL), &got); err != nil {
		t.Fatalf("Run = %v; want nil", err)
	}
	us := got.got()
	if len(us) != 1 || us[0].Kind != stream.KindAssemblyError || us[0].Error.Error != "ASSEMBLY_NOT_FOUND" || us[0].Error.Message != "gone" {
		t.Errorf("updates = %+v; want one assembly_error", us)
	}
	if n := srv.requests(); n != 1 {
		t.Errorf("server saw %d requests; want 1", n)
	}
}
