package transloadittest_test

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
)

func TestRunSim(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	errc := make(chan error, 1)
	go func() {
		err := transloadittest.RunSim(ctx, []string{"--tick", "1ms"}, pw, &lockedWriter{w: &stderr})
		pw.Close()
		errc <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line: %v", err)
	}
	base := strings.TrimSpace(line)
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("first line %q; want the base URL", line)
	}
	go io.Copy(io.Discard, pr)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/assemblies", strings.NewReader("params="+`{"steps":{"imported":{"robot":"/http/import"}}}`))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	st, err := transloadit.DecodeStatus(body)
	if err != nil || resp.StatusCode != 200 || st.AssemblyID == "" {
		t.Fatalf("create on the sim = %d %s", resp.StatusCode, body)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("RunSim after cancel: %v", err)
	}
}

func TestRunSimFlags(t *testing.T) {
	ctx := testContext(t)
	if err := transloadittest.RunSim(ctx, []string{"-h"}, io.Discard, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v; want flag.ErrHelp", err)
	}
	if err := transloadittest.RunSim(ctx, []string{"--nope"}, io.Discard, io.Discard); err == nil {
		t.Error("unknown flag accepted")
	}
	if err := transloadittest.RunSim(ctx, []string{"--addr", "256.0.0.1:0"}, io.Discard, io.Discard); err == nil {
		t.Error("bad address accepted")
	}
}

// lockedWriter lets RunSim's log lines come from several goroutines.
type lockedWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
