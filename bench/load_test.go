package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func newTestLoadSource(t *testing.T, cfg loadConfig) *loadSource {
	t.Helper()
	l, err := newLoadSource(cfg, newIDs())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.close)
	return l
}

func get(t *testing.T, ctx context.Context, url string, accept string) *http.Response {
	t.Helper()
	return getWith(t, ctx, http.DefaultClient, url, accept)
}

func getWith(t *testing.T, ctx context.Context, client *http.Client, url string, accept string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestLoadSourceStream reads a whole update stream: the id line, every
// result in order, assembly_finished, the end; then the status has every
// result and says completed. It does so over plain HTTP and over TLS,
// where the source serves HTTP/2 to a client trusting its certificate
// and HTTP/1.1 to one that asks for nothing else, and counts each.
func TestLoadSourceStream(t *testing.T) {
	cert, err := newUpstreamCert()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		cert   *upstreamCert
		http2  bool // the client offers HTTP/2
		scheme string
		proto  int // the version both ends must use
	}{
		{"plain", nil, true, "http://", 1},
		{"TLS HTTP/2", cert, true, "https://", 2},
		{"TLS HTTP/1.1", cert, false, "https://", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := new(http.Protocols)
			p.SetHTTP1(true)
			p.SetHTTP2(tt.http2)
			tr := &http.Transport{Protocols: p}
			if tt.cert != nil {
				tr.TLSClientConfig = &tls.Config{RootCAs: tt.cert.pool()}
			}
			l := newTestLoadSource(t, loadConfig{Assemblies: 2, Results: 3, Streamed: func(int) bool { return true }, TLS: tt.cert})
			// Before the source closes: it would wait for the client to
			// hang up an HTTP/2 connection after its GOAWAY.
			t.Cleanup(tr.CloseIdleConnections)
			if !strings.HasPrefix(l.pay.base, tt.scheme) {
				t.Errorf("base %s; want %s", l.pay.base, tt.scheme)
			}
			testStream(t, l, &http.Client{Transport: tr}, tt.proto)
		})
	}
}

func testStream(t *testing.T, l *loadSource, client *http.Client, proto int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp := getWith(t, ctx, client, l.pay.streamURL(1), "text/event-stream")
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != proto {
		t.Fatalf("stream: %d over %s; want 200 over HTTP/%d", resp.StatusCode, resp.Proto, proto)
	}
	br := bufio.NewReader(resp.Body)
	var frames []string
	for {
		var b bytes.Buffer
		if err := readFrame(br, &b); err != nil {
			break
		}
		frames = append(frames, b.String())
	}
	if len(frames) != 5 || frames[0] != "id: "+l.pay.ids.assembly(1)+"\n" || frames[4] != "data: assembly_finished\n" {
		t.Fatalf("frames = %.80q; want id, 3 results, assembly_finished", frames)
	}
	for r := range 3 {
		if a, res, ok := l.pay.ids.findResult([]byte(frames[1+r])); !ok || a != 1 || res != r {
			t.Errorf("frame %d is result %d/%d (%v); want 1/%d", 1+r, a, res, ok, r)
		}
		if l.stamp(1, r).IsZero() {
			t.Errorf("result %d has no stamp", r)
		}
	}
	if l.stamp(1, -1).IsZero() || !l.stamp(0, 0).IsZero() {
		t.Errorf("stamps: finish %v, untouched Assembly %v; want set, zero", l.stamp(1, -1), l.stamp(0, 0))
	}
	st := statusWith(t, ctx, client, l, 1)
	if st.OK != "ASSEMBLY_COMPLETED" || len(st.Results[resultStep]) != 3 {
		t.Errorf("status = %s with %d results; want ASSEMBLY_COMPLETED with 3", st.OK, len(st.Results[resultStep]))
	}
	if reqs, conns := l.counts(); reqs != 1 || conns != 1 {
		t.Errorf("counts() = %d, %d; want 1 status request, 1 stream connection", reqs, conns)
	}
	h1, h2 := l.protocols()
	if byVersion := map[int]int64{1: h1, 2: h2}; byVersion[proto] != 2 || h1+h2 != 2 {
		t.Errorf("protocols() = %d HTTP/1, %d HTTP/2; want both requests over HTTP/%d", h1, h2, proto)
	}
}

// TestLoadSourcePolled checks an Assembly that refuses its stream: it
// produces once watched, at the rate, and the status shows it.
func TestLoadSourcePolled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l := newTestLoadSource(t, loadConfig{Assemblies: 1, Results: 2, Rate: 100, Streamed: func(int) bool { return false }})
	if resp := get(t, ctx, l.pay.streamURL(0), "text/event-stream"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("refused stream status = %d; want 503", resp.StatusCode)
	}
	if st := status(t, ctx, l, 0); st.OK != "ASSEMBLY_EXECUTING" || len(st.Results[resultStep]) != 0 {
		t.Errorf("status before the watch = %s with %d results; want executing with none", st.OK, len(st.Results[resultStep]))
	}
	l.watched(0)
	for ctx.Err() == nil && l.stamp(0, -1).IsZero() {
		time.Sleep(5 * time.Millisecond)
	}
	if st := status(t, ctx, l, 0); st.OK != "ASSEMBLY_COMPLETED" || len(st.Results[resultStep]) != 2 {
		t.Errorf("status after = %s with %d results; want completed with 2", st.OK, len(st.Results[resultStep]))
	}
}

func TestLoadSourceRefuses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l := newTestLoadSource(t, loadConfig{Assemblies: 1, Results: 1, Streamed: func(int) bool { return true }})
	for _, tt := range []struct {
		name, url, accept string
		want              int
	}{
		{"unknown assembly", l.pay.base + "/assemblies/" + newIDs().assembly(0), "", http.StatusNotFound},
		{"index past the end", l.pay.statusURL(1), "", http.StatusNotFound},
		{"stream without accept", l.pay.streamURL(0), "", http.StatusNotAcceptable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if resp := get(t, ctx, tt.url, tt.accept); resp.StatusCode != tt.want {
				t.Errorf("GET %s = %d; want %d", tt.url, resp.StatusCode, tt.want)
			}
		})
	}
}

type testStatus struct {
	OK      string                       `json:"ok"`
	Results map[string][]json.RawMessage `json:"results"`
}

func status(t *testing.T, ctx context.Context, l *loadSource, asm int) testStatus {
	t.Helper()
	return statusWith(t, ctx, http.DefaultClient, l, asm)
}

func statusWith(t *testing.T, ctx context.Context, client *http.Client, l *loadSource, asm int) testStatus {
	t.Helper()
	resp := getWith(t, ctx, client, l.pay.statusURL(asm), "")
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ContentLength != int64(len(body)) {
		t.Errorf("status announced %d bytes and sent %d", resp.ContentLength, len(body))
	}
	var st testStatus
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("status body: %v", err)
	}
	return st
}
