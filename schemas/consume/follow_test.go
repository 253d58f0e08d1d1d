package consume_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/schemas"
	"github.com/tlbridge/tlbridge/schemas/consume"
	"github.com/tlbridge/tlbridge/schemas/consume/consumetest"
)

const (
	idA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	idB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestFollowEndsAtTerminal: Follow yields one Assembly's events in stream
// order, skips the others', and ends after the terminal event even though
// more could follow.
func TestFollowEndsAtTerminal(t *testing.T) {
	b := consumetest.NewNATS(t)
	for _, ev := range []schemas.Event{
		consumetest.Event(schemas.TypeUploading, idA, "", 0),
		consumetest.Event(schemas.TypeUploading, idB, "", 0),
		consumetest.Event(schemas.TypeStepResult, idA, "thumbs", 1),
		consumetest.Event(schemas.TypeStepResult, idB, "thumbs", 1),
		consumetest.Event(schemas.TypeCompleted, idA, "", 0),
		consumetest.Event(schemas.TypeCompleted, idB, "", 0),
	} {
		b.Publish(t, ev)
	}
	var got []string
	for ev, err := range consume.Follow(testCtx(t), b.JetStream, idA) {
		if err != nil {
			t.Fatalf("Follow: %v", err)
		}
		got = append(got, ev.Base().AssemblyID[:1]+" "+string(ev.Type))
	}
	want := []string{"a uploading", "a step.result", "a completed"}
	if !slices.Equal(got, want) {
		t.Errorf("Follow(A) = %q; want %q", got, want)
	}
}

// TestFollowMissingStream: the error names the stream and ends the loop.
func TestFollowMissingStream(t *testing.T) {
	b := consumetest.NewNATS(t)
	n := 0
	for _, err := range consume.Follow(testCtx(t), b.JetStream, idA, consume.WithStream("NOPE")) {
		n++
		if err == nil {
			t.Fatal("Follow on a missing stream yielded an event")
		}
	}
	if n != 1 {
		t.Errorf("Follow on a missing stream yielded %d times; want one error", n)
	}
}

// TestEventsFilterAndBadMessages: a filter selects types and Steps; a
// message that is not an event comes with ErrInvalidEvent and reading
// goes on.
func TestEventsFilterAndBadMessages(t *testing.T) {
	b := consumetest.NewNATS(t)
	b.Publish(t, consumetest.Event(schemas.TypeUploading, idA, "", 0))
	b.PublishRaw(t, schemas.Subject("", idA, schemas.TypeStepResult, "thumbs"), "junk", []byte(`{"not":"an event"}`))
	b.Publish(t, consumetest.Event(schemas.TypeStepResult, idA, "resized", 1))
	b.Publish(t, consumetest.Event(schemas.TypeStepResult, idA, "thumbs", 2))
	b.Publish(t, consumetest.Event(schemas.TypeCompleted, idA, "", 0))

	f := consume.Filter{Events: []schemas.Type{schemas.TypeCompleted}, Steps: []string{"thumbs"}}
	var got []string
	bad := 0
	for m, err := range consume.Events(testCtx(t), b.JetStream, f) {
		switch {
		case errors.Is(err, schemas.ErrInvalidEvent):
			bad++
			if len(m.Data) == 0 || m.Subject == "" {
				t.Errorf("a bad message came without its subject and data: %+v", m)
			}
			continue
		case err != nil:
			t.Fatalf("Events: %v", err)
		}
		got = append(got, string(m.Event.Type)+" "+m.Subject)
		if m.Event.Type == schemas.TypeCompleted {
			break
		}
	}
	want := []string{
		"step.result transloadit.v1.assemblies." + idA + ".steps.thumbs.result",
		"completed transloadit.v1.assemblies." + idA + ".completed",
	}
	if !slices.Equal(got, want) || bad != 1 {
		t.Errorf("Events = %q with %d bad; want %q with 1 bad", got, bad, want)
	}
}

// TestEventsNewOnly: WithNewOnly skips what is stored.
func TestEventsNewOnly(t *testing.T) {
	b := consumetest.NewNATS(t)
	b.Publish(t, consumetest.Event(schemas.TypeUploading, idA, "", 0))
	ctx := testCtx(t)
	got := make(chan schemas.Event, 1)
	go func() {
		defer close(got)
		for m, err := range consume.Events(ctx, b.JetStream, consume.Filter{}, consume.WithNewOnly()) {
			if err == nil {
				got <- m.Event
			}
			return
		}
	}()
	// The consumer may start before or after this publish; publish until
	// one arrives, each a new event.
	for i := 0; ; i++ {
		b.Publish(t, consumetest.Event(schemas.TypeStepResult, idB, "s", i))
		select {
		case ev := <-got:
			if ev.Type != schemas.TypeStepResult {
				t.Errorf("WithNewOnly read %s first; want a step.result published after it started", ev.Type)
			}
			return
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("no event read")
		}
	}
}
