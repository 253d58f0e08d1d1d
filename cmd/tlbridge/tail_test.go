package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/consume/consumetest"
)

const (
	tailA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	tailB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// tailUntil runs tail with args against NATS at url until its stdout
// holds want lines, then interrupts it, as Ctrl-C would, and returns the
// exit code and the lines.
func tailUntil(t *testing.T, url string, want int, args ...string) (int, []string) {
	t.Helper()
	clearConfigEnv(t)
	setEnv(t, map[string]string{"TLBRIDGE_NATS_URL": url, "TLBRIDGE_LOG_FORMAT": "console"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"tail"}, args...), &out, &errOut) }()
	deadline := time.After(20 * time.Second)
	for strings.Count(out.String(), "\n") < want {
		select {
		case code := <-done:
			t.Fatalf("tail %q exited %d early; stdout %q, stderr %q", args, code, out.String(), errOut.String())
		case <-deadline:
			t.Fatalf("tail %q printed %q; want %d lines (stderr %q)", args, out.String(), want, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	return <-done, strings.Split(strings.TrimSpace(out.String()), "\n")
}

func publishTailEvents(t *testing.T, b *consumetest.Bridge) []schemas.Event {
	evs := []schemas.Event{
		consumetest.Event(schemas.TypeUploading, tailA, "", 0),
		consumetest.Event(schemas.TypeStepResult, tailB, "thumbs", 1),
		consumetest.Event(schemas.TypeStepResult, tailA, "resized", 2),
		consumetest.Event(schemas.TypeStepResult, tailA, "thumbs", 3),
		consumetest.Event(schemas.TypeCompleted, tailA, "", 0),
	}
	for _, ev := range evs {
		b.Publish(t, ev)
	}
	return evs
}

// TestTailFilters: --since reads what is stored, and --assembly, --step
// and --type narrow it; each event is one readable line.
func TestTailFilters(t *testing.T) {
	b := consumetest.NewNATS(t)
	publishTailEvents(t, b)
	code, lines := tailUntil(t, b.URL, 2, "--since", "1h", "--assembly", tailA, "--step", "thumbs", "--type", "completed")
	if code != exitOK {
		t.Errorf("tail exit code %d after interrupt; want 0", code)
	}
	want := [][]string{{tailA, "step.result", "thumbs  thumbs.jpg (1 KB)"}, {tailA, "completed", "0 uploads, 0 results"}}
	if len(lines) != len(want) {
		t.Fatalf("tail printed %q; want %d lines", lines, len(want))
	}
	for i, parts := range want {
		for _, p := range parts {
			if !strings.Contains(lines[i], p) {
				t.Errorf("line %d = %q; want it to contain %q", i, lines[i], p)
			}
		}
	}
}

// TestTailJSON: --json prints each event exactly as published.
func TestTailJSON(t *testing.T) {
	b := consumetest.NewNATS(t)
	evs := publishTailEvents(t, b)
	_, lines := tailUntil(t, b.URL, len(evs), "--since", "1h", "--json")
	for i, ev := range evs {
		data, err := schemas.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		if lines[i] != string(data) {
			t.Errorf("line %d = %s; want %s", i, lines[i], data)
		}
	}
}

// TestTailNewOnly: without --since only events published after tail
// started appear.
func TestTailNewOnly(t *testing.T) {
	b := consumetest.NewNATS(t)
	b.Publish(t, consumetest.Event(schemas.TypeUploading, tailA, "", 0))
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		// tail may subscribe after any of these; keep publishing new
		// events until it has printed one.
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			ev := consumetest.Event(schemas.TypeStepResult, tailB, "s", i)
			data, _ := schemas.Encode(ev)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, _ = b.JetStream.Publish(ctx, ev.Subject, data)
			cancel()
		}
	}()
	defer func() { close(stop); <-stopped }()
	_, lines := tailUntil(t, b.URL, 1, "--json")
	if strings.Contains(lines[0], tailA) {
		t.Errorf("tail without --since printed a stored event: %s", lines[0])
	}
}

func TestTailUsageErrors(t *testing.T) {
	tests := [][]string{
		{"--type", "finished"},
		{"--assembly", "xyz"},
		{"--since", "-5m"},
		{"extra"},
		{"--no-such-flag"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, _, stderr := runCmd(t, context.Background(), append([]string{"tail"}, args...)...)
			if code != exitUsage || stderr == "" {
				t.Errorf("tail %q = %d, %q; want exit 2 and a message", args, code, stderr)
			}
		})
	}
}

// TestTailNoStream: a missing stream is an error naming it, exit 1.
func TestTailNoStream(t *testing.T) {
	b := consumetest.NewNATS(t)
	clearConfigEnv(t)
	setEnv(t, map[string]string{"TLBRIDGE_NATS_URL": b.URL, "TLBRIDGE_STREAM_NAME": "ELSEWHERE"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code, _, stderr := runCmd(t, ctx, "tail")
	if code != exitFailure || !strings.Contains(stderr, "ELSEWHERE") {
		t.Errorf("tail on a missing stream = %d, %q; want exit 1 naming the stream", code, stderr)
	}
}

// TestTailNeedsJetStream: with core NATS publishing there is no stream to
// read; tail says so instead of waiting.
func TestTailNeedsJetStream(t *testing.T) {
	clearConfigEnv(t)
	setEnv(t, map[string]string{"TLBRIDGE_JETSTREAM": "false"})
	code, _, stderr := runCmd(t, context.Background(), "tail")
	if code != exitUsage || !strings.Contains(stderr, "TLBRIDGE_JETSTREAM=false") {
		t.Errorf("tail with TLBRIDGE_JETSTREAM=false = %d, %q; want exit 2 naming the variable", code, stderr)
	}
}
