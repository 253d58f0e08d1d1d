package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/tlbridge/tlbridge/internal/testnet"
	"github.com/tlbridge/tlbridge/internal/transloadittest"
	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/consume"
	"github.com/tlbridge/tlbridge/schemas/consume/consumetest"
)

func TestMain(m *testing.M) { testnet.Main(m) }

// TestThumbnailer runs the service against the bridge, NATS and the
// simulator: an Assembly with a "thumbs" Step of three results ends up as
// three catalogued thumbnails and a done marker; another Step's results
// are not catalogued.
func TestThumbnailer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := consumetest.New(t)
	cfg := config{NATSURL: b.URL, Step: "thumbs", Dir: t.TempDir(), Durable: "thumbnailer"}
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- run(runCtx, cfg, zaptest.NewLogger(t)) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("run returned %v after cancel; want nil", err)
		}
	}()

	st, err := b.Sim.Create(ctx, transloadittest.Script{Steps: []transloadittest.Step{
		{Name: ":original", Robot: "/upload/handle"},
		{Name: "thumbs", Robot: "/image/resize", Use: ":original", Results: 3},
		{Name: "stored", Robot: "/s3/store", Use: "thumbs"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := consume.Watch(ctx, b.Conn, schemas.WatchRequest{AssemblyID: st.AssemblyID}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cfg.Dir, st.AssemblyID)
	awaitFile(ctx, t, filepath.Join(dir, "done.json"))

	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var thumbs []thumbnail
	for _, f := range files {
		if filepath.Base(f) == "done.json" {
			continue
		}
		var th thumbnail
		readJSON(t, f, &th)
		thumbs = append(thumbs, th)
	}
	if len(thumbs) != 3 {
		t.Fatalf("catalogued %d thumbnails (%v); want the 3 results of thumbs", len(thumbs), files)
	}
	for _, th := range thumbs {
		if th.AssemblyID != st.AssemblyID || th.Step != "thumbs" || !strings.HasPrefix(th.URL, "https://") {
			t.Errorf("thumbnail %+v; want a thumbs result of %s with its URL", th, st.AssemblyID)
		}
	}
	var sum schemas.Summary
	readJSON(t, filepath.Join(dir, "done.json"), &sum)
	if sum.Results == 0 {
		t.Errorf("done.json = %+v; want the Assembly's summary", sum)
	}
}

func awaitFile(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	for {
		if _, err := os.Stat(name); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never appeared", name)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}
