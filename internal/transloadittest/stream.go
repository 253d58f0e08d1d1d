package transloadittest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// dupReplay is how many already delivered events a reconnect re-sends
// under Awkward.DuplicateSSEOnReconnect.
const dupReplay = 3

// lateMessage is the assembly_error payload's message for a connect to a
// finished Assembly.
const lateMessage = "The Assembly is no longer running on this machine; fetch its status instead."

func acceptsEventStream(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		if strings.Contains(strings.ToLower(v), "text/event-stream") {
			return true
		}
	}
	return false
}

// serveStream serves an Assembly's update stream (GET
// <websocket_url>?assembly=<id> with Accept: text/event-stream): the
// opening id line, then every message and event from the moment of
// connecting (no replay), closing after assembly_finished or
// assembly_error. A connect to a finished Assembly gets the id line, one
// assembly_error event and the end of the stream.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request) {
	if !acceptsEventStream(r) {
		writeAPIError(w, http.StatusNotAcceptable, apiError{Error: "NOT_ACCEPTABLE", Message: "The update stream needs Accept: text/event-stream."})
		return
	}
	id := r.URL.Query().Get("assembly")
	s.mu.Lock()
	a := s.assemblies[id]
	var f Faults
	if a != nil {
		f = s.faultsLocked(a)
	}
	s.mu.Unlock()
	if a == nil {
		writeAPIError(w, http.StatusNotFound, notFoundError(id))
		return
	}
	s.delay(r, f.Latency)
	if f.RefuseSSE {
		s.count(func(c *Counters) { c.StreamsRefused++ })
		code := f.RefuseSSECode
		if code == 0 {
			code = http.StatusServiceUnavailable
		}
		writeAPIError(w, code, apiError{Error: "SERVER_" + strconv.Itoa(code), Message: "The update stream is not available."})
		return
	}
	sc, replay, start, late, dropAfter := s.acceptStream(a, f)
	defer s.endStream(a, sc)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	sw := &sseWriter{w: w}
	sw.raw("id: " + id + "\n\n")
	if late {
		body, _ := json.Marshal(apiError{Error: transloadit.CodeNotFound, Message: lateMessage, AssemblyID: id})
		sw.frame(frame{event: evAssemblyError, data: body})
		sw.flush()
		return
	}
	if !sw.flush() {
		return
	}
	s.pump(sw, r, a, sc, replay, start, dropAfter)
}

// acceptStream registers a connection and decides what it gets: frames
// to re-send first (Awkward.DuplicateSSEOnReconnect), where in the event
// log it starts, whether it is a late connect, and after how many events a
// fault cuts it (0 = never).
func (s *Server) acceptStream(a *assembly, f Faults) (sc *streamConn, replay []frame, start int, late bool, dropAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc = &streamConn{drop: make(chan struct{})}
	a.totalStreams++
	a.openStreams++
	a.streams[sc] = struct{}{}
	s.streams[sc] = a
	s.counters.StreamConnections++
	n := a.totalStreams
	start = len(a.events)
	switch {
	case a.plan.awkward.DuplicateSSEOnReconnect && n > 1 && a.sentUpTo > 0:
		replay = a.events[max(0, a.sentUpTo-dupReplay):a.sentUpTo:a.sentUpTo]
		if a.terminal {
			// Nothing is live any more: go on to the final frame (it may
			// be the last one replayed).
			start = a.sentUpTo
		}
	case a.terminal:
		late = true
	}
	if f.DropStreamAfter > 0 && (f.DropStreamTimes == 0 || n <= f.DropStreamTimes) {
		dropAfter = f.DropStreamAfter
	}
	s.notifyLocked()
	return sc, replay, start, late, dropAfter
}

// pump writes replay, then the Assembly's events from index start as
// they come. It returns when the terminal frame was written, the client
// left, the connection is dropped, or the Server closes; a drop without
// DropClean aborts the response so the client sees a cut connection.
func (s *Server) pump(sw *sseWriter, r *http.Request, a *assembly, sc *streamConn, replay []frame, start, dropAfter int) {
	var keepAlive <-chan time.Time
	if s.cfg.keepAlive > 0 {
		t := time.NewTicker(s.cfg.keepAlive)
		defer t.Stop()
		keepAlive = t.C
	}
	idx, sent := start, 0
	// write sends one frame; it reports whether the connection ends
	// after it.
	write := func(fr frame) (end bool) {
		sw.frame(fr)
		sent++
		switch {
		case fr.terminal():
			sw.flush()
			s.markSent(a, idx)
			return true
		case dropAfter > 0 && sent >= dropAfter:
			sw.flush()
			s.markSent(a, idx)
			s.dropOne(sc)
			s.cut(sc, r)
			return true
		}
		return false
	}
	for _, fr := range replay {
		if write(fr) {
			return
		}
	}
	for {
		s.mu.Lock()
		pending := a.events[idx:len(a.events):len(a.events)]
		changed, ended := s.changed, a.terminal && len(pending) == 0
		s.mu.Unlock()
		if ended {
			// Cannot happen while the final frame ends every log; never
			// keep a stream of a finished Assembly open regardless.
			sw.flush()
			return
		}
		for _, fr := range pending {
			idx++
			if write(fr) {
				return
			}
		}
		if len(pending) > 0 || len(replay) > 0 {
			replay = nil
			if !sw.flush() {
				return
			}
			s.markSent(a, idx)
		}
		select {
		case <-changed:
		case <-sc.drop:
			s.cut(sc, r)
			return
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-keepAlive:
			sw.raw(": keep-alive\n\n")
			if !sw.flush() {
				return
			}
		}
	}
}

// cut ends a dropped connection: cleanly under DropClean, else abruptly.
func (s *Server) cut(sc *streamConn, r *http.Request) {
	s.mu.Lock()
	a := s.streams[sc]
	clean := a != nil && s.faultsLocked(a).DropClean
	s.mu.Unlock()
	if !clean {
		panic(http.ErrAbortHandler)
	}
}

// markSent remembers how far any connection got, for duplicate replays.
func (s *Server) markSent(a *assembly, idx int) {
	s.mu.Lock()
	a.sentUpTo = max(a.sentUpTo, idx)
	s.mu.Unlock()
}

// dropOne marks a connection dropped, counting it as closed at once.
func (s *Server) dropOne(sc *streamConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropLocked(sc)
}

func (s *Server) dropLocked(sc *streamConn) {
	if sc.dropped {
		return
	}
	sc.dropped = true
	close(sc.drop)
	if a := s.streams[sc]; a != nil {
		a.openStreams--
	}
	s.counters.StreamsDropped++
	s.notifyLocked()
}

func (s *Server) endStream(a *assembly, sc *streamConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !sc.dropped {
		a.openStreams--
	}
	delete(a.streams, sc)
	delete(s.streams, sc)
	s.notifyLocked()
}

// DropStreams cuts every open update stream connection now, as a network
// failure would. The connections count as closed when it returns, so a
// following AwaitStreamConnected waits for a reconnect.
func (s *Server) DropStreams() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sc := range s.streams {
		s.dropLocked(sc)
	}
}

// sseWriter writes SSE frames and remembers the first write error.
type sseWriter struct {
	w   http.ResponseWriter
	buf bytes.Buffer
	err error
}

func (sw *sseWriter) raw(s string) { sw.buf.WriteString(s) }

// frame writes a message as "data: <name>" and an event as
// "event: <name>" plus one "data: <json>" line, each ending in a blank
// line.
func (sw *sseWriter) frame(f frame) {
	if f.event != "" {
		sw.buf.WriteString("event: ")
		sw.buf.WriteString(f.event)
		sw.buf.WriteByte('\n')
	}
	sw.buf.WriteString("data: ")
	sw.buf.Write(f.data)
	sw.buf.WriteString("\n\n")
}

// flush sends what was written; false once the client is gone.
func (sw *sseWriter) flush() bool {
	if sw.err != nil {
		return false
	}
	if sw.buf.Len() > 0 {
		_, sw.err = sw.w.Write(sw.buf.Bytes())
		sw.buf.Reset()
	}
	if sw.err == nil {
		sw.err = http.NewResponseController(sw.w).Flush()
	}
	return sw.err == nil
}
