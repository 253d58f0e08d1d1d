package transloadittest_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

// TestUnencryptedHTTP2: a client that speaks HTTP/2 by prior knowledge
// gets statuses and update streams over HTTP/2, as production's clients
// do over TLS.
func TestUnencryptedHTTP2(t *testing.T) {
	srv := newServer(t)
	created := mustCreate(t, srv, transloadittest.Script{})
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}

	resp := h2Get(t, hc, created.AssemblySSLURL)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || decode(t, body).AssemblyID != created.AssemblyID {
		t.Errorf("status over HTTP/2: %v %.100s", err, body)
	}

	resp = h2Get(t, hc, created.UpdateStreamURL)
	defer resp.Body.Close()
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || line == "" {
		t.Errorf("update stream over HTTP/2: first line %q, %v", line, err)
	}
}

func h2Get(t *testing.T, hc *http.Client, url string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithCancel(testContext(t))
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
		resp.Body.Close()
		t.Fatalf("GET %s = %d over %s; want 200 over HTTP/2", url, resp.StatusCode, resp.Proto)
	}
	return resp
}
