package bridge

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tlbridge/tlbridge/bridge/normalize"
	"github.com/tlbridge/tlbridge/bridge/publish"

	"go.uber.org/zap"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/stream"
)

// streamBuffer bounds the updates read ahead of the worker; when it is full
// the stream's read loop waits, which pushes back on the TCP connection.
const streamBuffer = 64

// loop is the worker's select loop, one case per source of news. It is
// long because the protocol is sequential; each case is one small step.
func (l *loop) loop(ctx context.Context, ttl <-chan time.Time, msgs <-chan streamMsg) string {
	clock := l.w.m.cfg.Clock
	poll := clock.NewTimer(l.pollEvery())
	defer func() { poll.Stop() }()
	// reset restarts the poll period; the Clock's timers are one-shot.
	reset := func() {
		poll.Stop()
		poll = clock.NewTimer(l.pollEvery())
	}
	defer l.setStreaming(false)
	for {
		select {
		case <-ctx.Done():
			return OutcomeStopped
		case <-ttl:
			return l.giveUp(normalize.GiveUpExpired, "watch TTL reached")
		case m := <-msgs:
			// Any news resets the poll clock; a lost stream resets it to the
			// fast period.
			if l.handleStream(ctx, m) {
				return l.outcome
			}
			reset()
		case <-poll.C():
			if l.poll(ctx) {
				return l.outcome
			}
			reset()
		case st := <-l.w.notes:
			// A notification is a whole status, signed by Transloadit.
			if l.observeStatus(st, schemas.SourceNotify) {
				return l.outcome
			}
		}
		if l.pubFailed {
			return OutcomeStopped
		}
	}
}

func (l *loop) pollEvery() time.Duration {
	d := l.w.m.cfg.PollInterval
	if l.streaming && !l.streamOff {
		d *= streamPollFactor
	}
	return d
}

// poll fetches the status now and reports whether the watch is over.
func (l *loop) poll(ctx context.Context) bool {
	st, err := l.fetch(ctx)
	if err != nil {
		if o := l.fetchFailed(ctx, err); o != "" {
			l.outcome = o
			return true
		}
		return false
	}
	return l.observeStatus(st, schemas.SourcePoll)
}

// handleStream applies one message of the stream goroutine and reports
// whether the watch is over.
func (l *loop) handleStream(ctx context.Context, m streamMsg) bool {
	metrics := l.w.m.cfg.Metrics
	switch {
	case m.update != nil:
		if l.observeUpdate(m.update) {
			return true
		}
		switch m.update.Kind {
		case stream.KindAssemblyFinished, stream.KindMetaDataExtracted, stream.KindAssemblyError:
			// These carry no payload (or not the whole truth): the status
			// has it, and the terminal event waits for it.
			return l.poll(ctx)
		}
	case m.connected:
		metrics.UpstreamRequest("stream", "ok")
		l.setStreaming(true)
		// The stream does not replay: whatever happened before this
		// connect is only in the status.
		return l.poll(ctx)
	case m.lost:
		metrics.UpstreamRequest("stream", "error")
		metrics.pollFallback()
		l.setStreaming(false)
		l.w.log.Info("update stream lost; polling until it is back", zap.Error(m.err))
	case m.ended:
		l.streamOff = true
		l.setStreaming(false)
		if m.err != nil {
			metrics.pollFallback()
			l.w.log.Warn("update stream unavailable; polling", zap.Error(m.err))
			return false
		}
		return l.poll(ctx)
	}
	return false
}

func (l *loop) setStreaming(on bool) {
	if on == l.streaming {
		return
	}
	l.streaming = on
	if on {
		l.w.m.cfg.Metrics.sseDelta(1)
	} else {
		l.w.m.cfg.Metrics.sseDelta(-1)
	}
	l.w.mu.Lock()
	l.w.streaming = on
	l.w.mu.Unlock()
}

// startStream runs the update stream in a goroutine the returned stop
// function cancels and waits for. Without a stream URL, or with streams
// disabled, the worker polls only.
func (l *loop) startStream(ctx context.Context, st *transloadit.Status) (<-chan streamMsg, func()) {
	cfg := l.w.m.cfg
	url := l.w.req.UpdateStreamURL
	if url == "" {
		url = st.StreamURL()
	}
	if cfg.DisableStream || url == "" {
		l.streamOff = true
		return nil, func() {}
	}
	sctx, cancel := context.WithCancel(ctx)
	ch := make(chan streamMsg, streamBuffer)
	send := func(m streamMsg) {
		select {
		case ch <- m:
		case <-sctx.Done():
		}
	}
	client, err := stream.NewClient(stream.Config{
		URL: url, AllowList: cfg.AllowList, HTTPClient: cfg.HTTPClient, Logger: l.w.log,
		OnConnect:    func() { send(streamMsg{connected: true}) },
		OnDisconnect: func(err error) { send(streamMsg{lost: true, err: err}) },
	})
	if err != nil {
		cancel()
		l.streamOff = true
		cfg.Metrics.pollFallback()
		l.w.log.Warn("update stream refused; polling", zap.Error(err))
		return nil, func() {}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := client.Run(sctx, func(u stream.Update) { send(streamMsg{update: &u}) })
		if sctx.Err() == nil {
			send(streamMsg{ended: true, err: err})
		}
	}()
	return ch, func() { cancel(); wg.Wait() }
}

// publish delivers events in order, one acknowledged before the next.
// An event that can never fit is logged and skipped; any other failure
// means pubCtx ended, and the worker stops.
func (l *loop) publish(evs []schemas.Event, observed time.Time) {
	for _, ev := range evs {
		if l.pubFailed {
			return
		}
		l.publishOne(ev, observed)
	}
}

func (l *loop) publishOne(ev schemas.Event, observed time.Time) {
	w := l.w
	metrics := w.m.cfg.Metrics
	data, err := schemas.Encode(ev)
	if err != nil {
		w.log.Error("event encoding failed", zap.String("event_id", ev.ID), zap.Error(err))
		return
	}
	metrics.pending(1)
	err = w.m.cfg.Publisher.Publish(l.pubCtx, publish.Message{Subject: ev.Subject, ID: ev.ID, Data: data, Key: w.id})
	metrics.pending(-1)
	switch {
	case err == nil:
	case errors.Is(err, publish.ErrPayloadTooLarge):
		w.log.Error("event exceeds the NATS max payload; skipped", zap.String("event_id", ev.ID), zap.Int("bytes", len(data)))
		return
	default:
		w.log.Warn("publish abandoned", zap.String("event_id", ev.ID), zap.Error(err))
		l.pubFailed = true
		return
	}
	metrics.published(string(ev.Type), l.now().Sub(observed))
	w.mu.Lock()
	w.events++
	w.mu.Unlock()
	if cb := w.m.cfg.OnEvent; cb != nil {
		cb(ev, data)
	}
}

func (w *worker) setState(s string) {
	w.mu.Lock()
	w.state = s
	w.mu.Unlock()
}
