package bridge

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/tlbridge/tlbridge/stream"
)

// update returns an update that counts n bytes against the bounds; n
// less the overhead must be a multiple of the factor.
func update(n int) streamEvent {
	raw := max(n-updateOverhead, 0) / updateFactor
	return streamUpdate{stream.Update{Raw: make([]byte, raw)}}
}

// TestReadAheadBounds: a watch holds at most its bound, all watches at
// most theirs; an update larger than a bound still goes through alone;
// events without a payload cost nothing; giving back makes room.
func TestReadAheadBounds(t *testing.T) {
	const unit = updateOverhead + 1200 // what first counts
	all := semaphore.NewWeighted(3 * unit)
	a := newReadAhead(all, 3*unit, 2*unit)
	b := newReadAhead(all, 3*unit, 2*unit)
	ctx := context.Background()
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	first := update(unit)
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
	if !all.TryAcquire(3 * unit) {
		t.Fatal("the total is not whole again after every update was given back")
	}
}

// TestReadAheadCountsWhatAnUpdateHolds measures the heap a queued update
// of each payload kind in the recorded stream holds (its frame's copy, as
// the stream's reader makes it, decoded and boxed for the queue) and
// checks that the bound counts at least that, and not much more.
func TestReadAheadCountsWhatAnUpdateHolds(t *testing.T) {
	frames := recordedPayloads(t)
	for name, f := range frames {
		const n = 4000
		queued := make([]streamEvent, n)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range queued {
			u, err := stream.ParseFrame(name, bytes.Clone(f))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			queued[i] = streamUpdate{u}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held := float64(after.HeapAlloc-before.HeapAlloc) / n
		counted := float64(sizeOf(queued[0]))
		t.Logf("%s: %d bytes of payload hold %.0f bytes; counted %.0f", name, len(f), held, counted)
		if counted < held || counted > 2*held {
			t.Errorf("%s: an update holding %.0f bytes counts %.0f; want between 1 and 2 times that", name, held, counted)
		}
		runtime.KeepAlive(queued)
	}
}

// recordedPayloads returns the data of the first frame of each event in
// the recorded update stream that carries a JSON payload.
func recordedPayloads(t *testing.T) map[string][]byte {
	t.Helper()
	rec, err := os.ReadFile("../internal/transloadit/testdata/sse-recording-two-uploads.txt")
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]byte)
	for _, frame := range bytes.Split(rec, []byte("\n\n")) {
		event, data := "", []byte(nil)
		for _, line := range bytes.Split(frame, []byte("\n")) {
			if v, ok := bytes.CutPrefix(line, []byte("event: ")); ok {
				event = string(v)
			}
			if v, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
				data = v
			}
		}
		if event != "" && out[event] == nil && len(data) > 0 && (data[0] == '{' || data[0] == '[') {
			out[event] = data
		}
	}
	for _, want := range []string{stream.EvUploadFinished, stream.EvResultFinished} {
		if out[want] == nil {
			t.Fatalf("no %s in the recording", want)
		}
	}
	return out
}
