package bridge

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/tlbridge/tlbridge/stream"
)

func update(n int) streamEvent {
	return streamUpdate{stream.Update{Raw: make([]byte, n)}}
}

// TestReadAheadBounds: a watch holds at most its bound, all watches at
// most theirs; an update larger than a bound still goes through alone;
// events without a payload cost nothing; giving back makes room.
func TestReadAheadBounds(t *testing.T) {
	all := semaphore.NewWeighted(3000)
	a := newReadAhead(all, 3000, 2000)
	b := newReadAhead(all, 3000, 2000)
	ctx := context.Background()
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	first := update(1000 - updateOverhead)
	for range 2 {
		if !a.hold(ctx, first) {
			t.Fatal("two updates within the watch's bound were refused")
		}
	}
	if a.hold(short(), first) {
		t.Fatal("a third update past the watch's bound was taken")
	}
	if !a.hold(ctx, streamConnected{}) {
		t.Fatal("an event without a payload was refused")
	}
	if !b.hold(ctx, first) {
		t.Fatal("another watch's update within the total was refused")
	}
	if b.hold(short(), first) {
		t.Fatal("an update past the total was taken")
	}
	a.done(first)
	if !b.hold(ctx, first) {
		t.Fatal("an update was refused after room was given back")
	}
	a.done(first)
	b.done(first)
	b.done(first)
	huge := update(10_000)
	if !a.hold(ctx, huge) {
		t.Fatal("an update larger than both bounds was refused with the budget empty")
	}
	if b.hold(short(), update(1)) {
		t.Fatal("an update was taken while a huge one held the whole total")
	}
	a.done(huge)
	if !all.TryAcquire(3000) {
		t.Fatal("the total is not whole again after every update was given back")
	}
}
