package consume_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/consume"
	"github.com/tlbridge/tlbridge/schemas/consume/consumetest"
)

// runConsume runs Consume until the test ends and returns its result.
func runConsume(t *testing.T, b *consumetest.Bridge, o consume.Options, h consume.Handlers) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- consume.Consume(ctx, b.JetStream, o, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Consume returned %v after cancel; want nil", err)
		}
	})
	return done
}

// TestConsumeRetriesAndTerms: typed handlers get their events; a failed
// event comes back and is then acknowledged; what is not a v1 event is
// terminated, never handed to a handler; events of unselected types never
// arrive.
func TestConsumeRetriesAndTerms(t *testing.T) {
	b := consumetest.NewNATS(t)
	ctx := testCtx(t)
	var (
		mu      sync.Mutex // guards seen and fails
		seen    []string
		fails   = 1
		errs    []error
		results = make(chan struct{}, 10)
	)
	h := consume.Handlers{
		StepResult: func(_ context.Context, ev schemas.Event, d *schemas.StepResult) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, d.Step+"/"+d.Result.Name)
			if fails > 0 {
				fails--
				return errors.New("storage unavailable")
			}
			results <- struct{}{}
			return nil
		},
		Completed: func(_ context.Context, ev schemas.Event, d *schemas.Completed) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, "completed "+d.AssemblyID[:1])
			results <- struct{}{}
			return nil
		},
	}
	o := consume.Options{
		Durable: "thumbnailer", Steps: []string{"thumbs"},
		Events:  []schemas.Type{schemas.TypeCompleted},
		Backoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
		OnError: func(_ string, err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() },
	}
	b.PublishRaw(t, schemas.Subject("", idA, schemas.TypeCompleted, ""), "junk", []byte("not json"))
	b.Publish(t, consumetest.Event(schemas.TypeUploading, idA, "", 0))
	b.Publish(t, consumetest.Event(schemas.TypeStepResult, idA, "resized", 1))
	b.Publish(t, consumetest.Event(schemas.TypeStepResult, idA, "thumbs", 2))
	b.Publish(t, consumetest.Event(schemas.TypeCompleted, idA, "", 0))
	runConsume(t, b, o, h)
	for range 2 {
		select {
		case <-results:
		case <-ctx.Done():
			t.Fatal("handlers not called")
		}
	}
	mu.Lock()
	want := []string{"thumbs/thumbs.jpg", "thumbs/thumbs.jpg", "completed a"}
	if len(seen) != len(want) || seen[0] != want[0] || seen[1] != want[1] || seen[2] != want[2] {
		t.Errorf("handled %q; want %q", seen, want)
	}
	if len(errs) != 2 || !errors.Is(errs[0], schemas.ErrInvalidEvent) {
		t.Errorf("OnError got %v; want the bad message, then the handler error", errs)
	}
	mu.Unlock()
	awaitSettled(ctx, t, b, "thumbnailer")
}

// awaitSettled waits until the consumer has settled every message up to
// the end of the stream: none pending, none waiting for redelivery.
func awaitSettled(ctx context.Context, t *testing.T, b *consumetest.Bridge, name string) {
	t.Helper()
	for {
		cons, err := b.JetStream.Consumer(ctx, consumetest.Stream, name)
		if err != nil {
			t.Fatal(err)
		}
		ci := cons.CachedInfo()
		if ci.NumAckPending == 0 && ci.NumRedelivered == 0 && ci.NumPending == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("consumer %s still has %d pending, %d unsettled, %d redelivered", name, ci.NumPending, ci.NumAckPending, ci.NumRedelivered)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestConsumeSubscribesToHandledTypes: with no Events, only the handled
// types arrive, and the Other handler is not needed.
func TestConsumeSubscribesToHandledTypes(t *testing.T) {
	b := consumetest.NewNATS(t)
	ctx := testCtx(t)
	got := make(chan schemas.Type, 10)
	h := consume.Handlers{
		Completed: func(_ context.Context, ev schemas.Event, _ *schemas.Completed) error { got <- ev.Type; return nil },
	}
	b.Publish(t, consumetest.Event(schemas.TypeUploading, idA, "", 0))
	b.Publish(t, consumetest.Event(schemas.TypeCompleted, idA, "", 0))
	runConsume(t, b, consume.Options{Durable: "outcomes"}, h)
	select {
	case typ := <-got:
		if typ != schemas.TypeCompleted {
			t.Errorf("handler got %s", typ)
		}
	case <-ctx.Done():
		t.Fatal("no event handled")
	}
	info, err := b.JetStream.Consumer(ctx, consumetest.Stream, "outcomes")
	if err != nil {
		t.Fatal(err)
	}
	if fs := info.CachedInfo().Config.FilterSubjects; len(fs) != 1 || fs[0] != "transloadit.v1.assemblies.*.completed" {
		t.Errorf("consumer filters %q; want only completed events", fs)
	}
}

func TestConsumeInvalidOptions(t *testing.T) {
	b := consumetest.NewNATS(t)
	ok := func(context.Context, schemas.Event) error { return nil }
	tests := []struct {
		name string
		o    consume.Options
		h    consume.Handlers
	}{
		{"no durable", consume.Options{}, consume.Handlers{Other: ok}},
		{"no handler", consume.Options{Durable: "x"}, consume.Handlers{}},
		{"unknown type", consume.Options{Durable: "x", Events: []schemas.Type{"nope"}}, consume.Handlers{Other: ok}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := consume.Consume(testCtx(t), b.JetStream, tt.o, tt.h)
			if !errors.Is(err, consume.ErrInvalidOptions) {
				t.Errorf("Consume(%+v) = %v; want ErrInvalidOptions", tt.o, err)
			}
		})
	}
}
