package stream_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/stream"
)

// BenchmarkIdleStreams opens n streams that stay open and silent, over
// HTTP/1.1 and over HTTP/2 (TLS), and reports the goroutines each costs
// the client: its Run and, over HTTP/1.1, net/http's two loops per
// connection; over HTTP/2 the streams share one connection and its loop.
// The server's goroutines are counted apart and taken off. Run it with
// -benchtime 1x; it reports, it does not time.
func BenchmarkIdleStreams(b *testing.B) {
	for _, h2 := range []bool{false, true} {
		proto := map[bool]string{false: "http1", true: "h2"}[h2]
		b.Run(fmt.Sprintf("%s/streams=500", proto), func(b *testing.B) {
			for b.Loop() {
				benchIdleStreams(b, 500, h2)
			}
		})
	}
}

func benchIdleStreams(b *testing.B, n int, h2 bool) {
	var open sync.WaitGroup
	done := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		startStream(w)
		open.Done()
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	srv.EnableHTTP2 = h2
	allow := loopback
	if h2 {
		srv.StartTLS()
		allow = transloadit.AllowList{HostSuffixes: []string{"127.0.0.1"}}
	} else {
		srv.Start()
	}
	defer srv.Close()
	defer close(done)
	hc := srv.Client()
	ctx, cancel := context.WithCancel(context.Background())
	var runs sync.WaitGroup
	defer func() { cancel(); runs.Wait() }()

	before := runtime.NumGoroutine()
	open.Add(n)
	for range n {
		c, err := stream.NewClient(stream.Config{URL: srv.URL + "/ws", AllowList: allow, HTTPClient: hc, IdleTimeout: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		runs.Go(func() { _ = c.Run(ctx, func(stream.Update) {}) })
	}
	open.Wait()
	time.Sleep(100 * time.Millisecond) // let the connections settle
	total := runtime.NumGoroutine() - before
	// Each handler runs in a goroutine of the server's; over HTTP/1.1 each
	// connection has one more (its serve loop), over HTTP/2 the shared
	// connection has a few.
	server := n
	if !h2 {
		server += n
	}
	b.ReportMetric(float64(total-server)/float64(n), "client-goroutines/stream")
}
