package pacing_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/pacing"
	"github.com/tlbridge/tlbridge/internal/retry/retrytest"
)

const every = time.Millisecond

// wire is the connection under a Conn: it records each write that reaches
// it, and fails them with fail when set.
type wire struct {
	net.Conn // nil: only what Conn calls is implemented
	mu       sync.Mutex
	writes   [][]byte
	deadline time.Time
	under    []time.Time // the deadline each write had
	fail     error
	closed   bool
}

func newWire() *wire { return &wire{} }

func (w *wire) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail != nil {
		return 0, w.fail
	}
	w.writes = append(w.writes, bytes.Clone(p))
	w.under = append(w.under, w.deadline)
	return len(p), nil
}

func (w *wire) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deadline = t
	return nil
}

func (w *wire) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return nil
}

// got returns the writes that reached the wire so far.
func (w *wire) got() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var s []string
	for _, b := range w.writes {
		s = append(s, string(b))
	}
	return s
}

func write(t *testing.T, c *pacing.Conn, s string) {
	t.Helper()
	if n, err := c.Write([]byte(s)); n != len(s) || err != nil {
		t.Fatalf("Write(%q) = %d, %v", s, n, err)
	}
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
		t.Fatalf("%s: %q; want %q", what, got, want)
	}
}

// advance moves clock past the held writes' interval once the Conn has
// armed its timer, and waits for the write that follows.
func advance(t *testing.T, clock *retrytest.Clock, w *wire) {
	t.Helper()
	if err := clock.WaitTimers(t.Context(), 1, every); err != nil {
		t.Fatal(err)
	}
	n := len(w.got())
	clock.Advance(every)
	waitFor(t, func() bool { return len(w.got()) > n })
}

func TestQuietConnectionWritesAtOnce(t *testing.T) {
	w, clock := newWire(), retrytest.NewClock()
	c := pacing.New(w, every, time.Minute, clock)
	write(t, c, "PUB a")
	equal(t, "after the first write", w.got(), []string{"PUB a"})
	clock.Advance(every)
	write(t, c, "PUB b")
	equal(t, "after a write an interval later", w.got(), []string{"PUB a", "PUB b"})
	if _, ok := clock.Next(); ok {
		t.Error("a timer is armed, with nothing held")
	}
}

func TestBusyConnectionCoalescesWrites(t *testing.T) {
	w, clock := newWire(), retrytest.NewClock()
	c := pacing.New(w, every, time.Minute, clock)
	write(t, c, "1;")
	clock.Advance(every / 4)
	for _, s := range []string{"2;", "3;", "4;"} {
		write(t, c, s)
	}
	equal(t, "within the interval", w.got(), []string{"1;"})
	advance(t, clock, w)
	equal(t, "once the interval is over", w.got(), []string{"1;", "2;3;4;"})

	// The held write went out just now: the next one waits a whole interval.
	write(t, c, "5;")
	equal(t, "right after the held write", w.got(), []string{"1;", "2;3;4;"})
	advance(t, clock, w)
	equal(t, "an interval after", w.got(), []string{"1;", "2;3;4;", "5;"})
}

func TestHeldWritesAreBounded(t *testing.T) {
	w, clock := newWire(), retrytest.NewClock()
	c := pacing.New(w, every, time.Minute, clock)
	write(t, c, "first")
	write(t, c, "held")
	big := strings.Repeat("x", pacing.MaxBuffered)
	write(t, c, big)
	if got := strings.Join(w.got(), ""); got != "first"+"held"+big {
		t.Errorf("after a write past the bound the wire has %d bytes; want the %d written, in order", len(got), len("firstheld")+len(big))
	}
	if d, ok := clock.Next(); ok {
		t.Errorf("a timer is armed for %v, with nothing held", d)
	}
}

func TestCloseSendsWhatIsHeld(t *testing.T) {
	w, clock := newWire(), retrytest.NewClock()
	c := pacing.New(w, every, time.Minute, clock)
	write(t, c, "a")
	write(t, c, "b")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	equal(t, "after Close", w.got(), []string{"a", "b"})
	if !w.closed {
		t.Error("the wrapped connection is open")
	}
	if _, err := c.Write([]byte("c")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close = %v; want net.ErrClosed", err)
	}
}

func TestFailedHeldWriteIsReported(t *testing.T) {
	w, clock := newWire(), retrytest.NewClock()
	c := pacing.New(w, every, time.Minute, clock)
	write(t, c, "a")
	write(t, c, "b")
	broken := errors.New("connection reset")
	w.mu.Lock()
	w.fail = broken
	w.mu.Unlock()
	if err := clock.WaitTimers(t.Context(), 1, every); err != nil {
		t.Fatal(err)
	}
	clock.Advance(every)
	waitFor(t, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.closed
	})
	if _, err := c.Write([]byte("c")); !errors.Is(err, broken) {
		t.Errorf("Write after a failed held write = %v; want %v", err, broken)
	}
}

func TestHeldWriteHasItsOwnDeadline(t *testing.T) {
	w, clock := newWire(), retrytest.NewClock()
	c := pacing.New(w, every, time.Minute, clock)
	caller := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := c.SetWriteDeadline(caller); err != nil {
		t.Fatal(err)
	}
	write(t, c, "a")
	write(t, c, "b")
	if err := c.SetWriteDeadline(time.Time{}); err != nil {
		t.Fatal(err) // as nats.go does after each write
	}
	before := time.Now()
	advance(t, clock, w)
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.under[0].Equal(caller) {
		t.Errorf("the write made at once had deadline %v; want the caller's, %v", w.under[0], caller)
	}
	if held := w.under[1]; held.Before(before.Add(time.Minute)) || held.After(time.Now().Add(time.Minute)) {
		t.Errorf("the held write had deadline %v; want a minute after it was sent", held)
	}
	if !w.deadline.IsZero() {
		t.Errorf("after the held write the deadline is %v; want the caller's (none)", w.deadline)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not reached")
		case <-time.After(time.Millisecond):
		}
	}
}
