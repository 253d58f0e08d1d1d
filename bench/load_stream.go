package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"
)

// serveStream writes the update stream: the id line, then each result as
// it is produced, then assembly_finished, after which the stream ends. A
// newer connection for the same Assembly takes over production.
func (l *loadSource) serveStream(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("assembly")
	i, a := l.asm(id)
	switch {
	case a == nil:
		http.Error(w, `{"error":"ASSEMBLY_NOT_FOUND"}`, http.StatusNotFound)
		return
	case !strings.Contains(r.Header.Get("Accept"), "text/event-stream"):
		http.Error(w, `{"error":"NOT_ACCEPTABLE"}`, http.StatusNotAcceptable)
		return
	}
	a.streamConns.Add(1)
	if !l.cfg.Streamed(i) {
		http.Error(w, `{"error":"SERVER_503"}`, http.StatusServiceUnavailable)
		return
	}
	a.mu.Lock()
	a.streamGen++
	gen := a.streamGen
	a.started = true
	a.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	sw := &streamWriter{w: w, rc: http.NewResponseController(w)}
	sw.buf.WriteString("id: " + id + "\n\n")
	if sw.flush() != nil {
		return
	}
	l.pump(r.Context(), sw, i, a, gen)
}

// pump produces and writes results at the configured rate until the
// Assembly finished, the client left, a newer stream took over, or the
// source closes. Its loop is bounded by the results left.
func (l *loadSource) pump(ctx context.Context, sw *streamWriter, i int, a *asmState, gen int) {
	next := time.Now().Add(l.cfg.StartDelay - l.interval())
	for range l.cfg.Results + 1 {
		if !l.sleepUntil(ctx, &next) {
			return
		}
		a.mu.Lock()
		if a.streamGen != gen || a.finished {
			finished := a.finished
			a.mu.Unlock()
			if finished {
				sw.buf.WriteString("data: assembly_finished\n\n")
				_ = sw.flush()
			}
			return
		}
		k := l.produceLocked(a)
		a.mu.Unlock()
		if k < 0 {
			sw.buf.WriteString("data: assembly_finished\n\n")
		} else {
			l.pay.resultFrame(&sw.buf, i, k)
		}
		if sw.flush() != nil || k < 0 {
			return
		}
	}
}

// sleepUntil waits for the next slot of the rate; false when ctx or the
// source ended first.
func (l *loadSource) sleepUntil(ctx context.Context, next *time.Time) bool {
	*next = next.Add(l.interval())
	d := time.Until(*next)
	if d <= 0 {
		// Behind schedule or unpaced: no timer, just a check for the end.
		select {
		case <-ctx.Done():
			return false
		case <-l.done:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-l.done:
		return false
	}
}

// streamWriter buffers frames and sends them with one write and flush.
type streamWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf bytes.Buffer
}

func (sw *streamWriter) flush() error {
	_, err := sw.w.Write(sw.buf.Bytes())
	sw.buf.Reset()
	if err == nil {
		err = sw.rc.Flush()
	}
	return err
}
