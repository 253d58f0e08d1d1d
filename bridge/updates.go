package bridge

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/stream"
)

// streamBuffer bounds the events read ahead of the worker; when it is full
// the stream's read loop waits, which pushes back on the TCP connection.
const streamBuffer = 64

// streamEvent is what the stream goroutine tells the worker, in order:
// one of streamUpdate, streamConnected, streamLost, streamEnded. apply
// handles it on the worker's goroutine and reports whether the watch is
// over.
type streamEvent interface {
	apply(ctx context.Context, r *watchRun) bool
}

// streamUpdate is one update read from the stream.
type streamUpdate struct{ u stream.Update }

// streamConnected says the stream is (re)connected.
type streamConnected struct{}

// streamLost says the connection dropped; the client reconnects.
type streamLost struct{ err error }

// streamEnded says the client stopped for good: err is nil when the
// stream ended with the Assembly.
type streamEnded struct{ err error }

func (e streamUpdate) apply(ctx context.Context, r *watchRun) bool {
	// News from the stream: the watch is not failing, whatever the
	// safety-net fetches say.
	r.failingSince = time.Time{}
	if r.observeUpdate(&e.u) {
		return true
	}
	switch e.u.Kind {
	case stream.KindAssemblyFinished, stream.KindAssemblyError:
		// These carry no payload (or not the whole truth): the status
		// has it, and the terminal event waits for it.
		return r.poll(ctx)
	case stream.KindMetaDataExtracted:
		// The notice carries no metadata: fetch it only if an upload
		// came without.
		if r.w.norm.UploadsLackMeta() {
			return r.poll(ctx)
		}
	}
	return false
}

func (streamConnected) apply(ctx context.Context, r *watchRun) bool {
	r.env.metrics.UpstreamRequest("stream", "ok")
	r.setStreaming(true)
	// The stream does not replay: whatever happened before this connect
	// is only in the status. Fetched now, nothing falls between the two;
	// on the first connect this is the worker's first fetch.
	return r.poll(ctx)
}

func (e streamLost) apply(_ context.Context, r *watchRun) bool {
	r.env.metrics.UpstreamRequest("stream", "error")
	r.env.metrics.pollFallback()
	r.setStreaming(false)
	r.w.log.Info("update stream lost; polling until it is back", zap.Error(e.err))
	return false
}

func (e streamEnded) apply(ctx context.Context, r *watchRun) bool {
	r.streamOff = true
	r.setStreaming(false)
	if e.err != nil {
		r.env.metrics.pollFallback()
		r.w.log.Warn("update stream unavailable; polling", zap.Error(e.err))
		// No connect will bring the first status: fetch it now.
		return !r.known && r.poll(ctx)
	}
	return r.poll(ctx)
}

func (r *watchRun) setStreaming(on bool) {
	if on == r.streaming {
		return
	}
	r.streaming = on
	if on {
		r.env.metrics.sseDelta(1)
	} else {
		r.env.metrics.sseDelta(-1)
	}
	r.w.setStreaming(on)
}

// startStream runs the update stream of url in a goroutine the returned
// stop function cancels and waits for. Without a stream URL, or with
// streams disabled, the worker polls only.
func (r *watchRun) startStream(ctx context.Context, url string) (<-chan streamEvent, func()) {
	if r.env.disableStream || url == "" {
		r.streamOff = true
		return nil, func() {}
	}
	sctx, cancel := context.WithCancel(ctx)
	ch := make(chan streamEvent, streamBuffer)
	ra := newReadAhead(r.env.readAheadAll, r.env.readAheadTotal, r.env.readAhead)
	r.ahead = ra
	send := func(e streamEvent) {
		if !ra.hold(sctx, e) {
			return
		}
		select {
		case ch <- e:
		case <-sctx.Done():
			ra.done(e)
		}
	}
	client, err := stream.NewClient(stream.Config{
		URL: url, AssemblyID: r.w.id, AllowList: r.env.allowList, HTTPClient: r.env.httpClient,
		Logger: r.w.log, Clock: r.env.clock, MaxEventSize: r.env.maxEventSize,
		OnConnect:    func() { send(streamConnected{}) },
		OnDisconnect: func(err error) { send(streamLost{err}) },
	})
	if err != nil {
		cancel()
		r.streamOff = true
		r.env.metrics.pollFallback()
		r.w.log.Warn("update stream refused; polling", zap.Error(err))
		return nil, func() {}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		err := client.Run(sctx, func(u stream.Update) { send(streamUpdate{u}) })
		if sctx.Err() == nil {
			send(streamEnded{err})
		}
	})
	return ch, func() {
		cancel()
		wg.Wait()
		for len(ch) > 0 {
			ra.done(<-ch) // give back what was read and never applied
		}
	}
}
