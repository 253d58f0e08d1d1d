package consume

import (
	"context"
	"fmt"

	"github.com/tlbridge/tlbridge/schemas"
)

// Handlers are the typed callbacks of [Consume], one per event type. Each
// gets the event's envelope and its typed data. Returning nil
// acknowledges the event; an error has it redelivered later. Leave a field
// nil to ignore its type.
type Handlers struct {
	Uploading           func(context.Context, schemas.Event, *schemas.Uploading) error
	UploadProgress      func(context.Context, schemas.Event, *schemas.UploadProgress) error
	UploadFinished      func(context.Context, schemas.Event, *schemas.UploadFinished) error
	UploadMetaExtracted func(context.Context, schemas.Event, *schemas.UploadMetaExtracted) error
	Executing           func(context.Context, schemas.Event, *schemas.Executing) error
	Replaying           func(context.Context, schemas.Event, *schemas.Replaying) error
	ExecutionProgress   func(context.Context, schemas.Event, *schemas.ExecutionProgress) error
	StepResult          func(context.Context, schemas.Event, *schemas.StepResult) error
	Warning             func(context.Context, schemas.Event, *schemas.Warning) error
	Completed           func(context.Context, schemas.Event, *schemas.Completed) error
	Failed              func(context.Context, schemas.Event, *schemas.Failed) error
	Canceled            func(context.Context, schemas.Event, *schemas.Canceled) error
	Aborted             func(context.Context, schemas.Event, *schemas.Aborted) error
	WatchExpired        func(context.Context, schemas.Event, *schemas.WatchExpired) error
	WatchFailed         func(context.Context, schemas.Event, *schemas.WatchFailed) error
	WatchCanceled       func(context.Context, schemas.Event, *schemas.WatchCanceled) error
	// Other, if set, gets every event no typed field handles, including v1
	// types newer than this package (their Data is json.RawMessage).
	Other func(context.Context, schemas.Event) error
}

// handlerFunc handles one decoded event.
type handlerFunc func(context.Context, schemas.Event) error

// routes maps each event type that has a typed handler to it.
func (h *Handlers) routes() map[schemas.Type]handlerFunc {
	all := map[schemas.Type]handlerFunc{
		schemas.TypeUploading:           bind(h.Uploading),
		schemas.TypeUploadProgress:      bind(h.UploadProgress),
		schemas.TypeUploadFinished:      bind(h.UploadFinished),
		schemas.TypeUploadMetaExtracted: bind(h.UploadMetaExtracted),
		schemas.TypeExecuting:           bind(h.Executing),
		schemas.TypeReplaying:           bind(h.Replaying),
		schemas.TypeExecutionProgress:   bind(h.ExecutionProgress),
		schemas.TypeStepResult:          bind(h.StepResult),
		schemas.TypeWarning:             bind(h.Warning),
		schemas.TypeCompleted:           bind(h.Completed),
		schemas.TypeFailed:              bind(h.Failed),
		schemas.TypeCanceled:            bind(h.Canceled),
		schemas.TypeAborted:             bind(h.Aborted),
		schemas.TypeWatchExpired:        bind(h.WatchExpired),
		schemas.TypeWatchFailed:         bind(h.WatchFailed),
		schemas.TypeWatchCanceled:       bind(h.WatchCanceled),
	}
	for t, f := range all {
		if f == nil {
			delete(all, t)
		}
	}
	return all
}

// bind adapts a typed handler; nil stays nil.
func bind[T any](f func(context.Context, schemas.Event, *T) error) handlerFunc {
	if f == nil {
		return nil
	}
	return func(ctx context.Context, ev schemas.Event) error {
		d, ok := ev.Data.(*T)
		if !ok || d == nil {
			return fmt.Errorf("%w: %s event without its data", schemas.ErrInvalidEvent, ev.Type)
		}
		return f(ctx, ev, d)
	}
}

// handledTypes lists, in lifecycle order, the types routes handles: what a
// consumer subscribes to when no Events are given. Nil means every type.
func handledTypes(routes map[schemas.Type]handlerFunc, other bool) []schemas.Type {
	if other {
		return nil
	}
	var out []schemas.Type
	for _, t := range schemas.Types() {
		if routes[t] != nil {
			out = append(out, t)
		}
	}
	return out
}
