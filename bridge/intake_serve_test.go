package bridge

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap/zaptest"

	"github.com/tlbridge/tlbridge/bridge/publish/publishtest"
)

// gatedIntake serves requests on a subject with a handler that reports
// each request it takes on entered and answers only once release is
// closed.
type gatedIntake struct {
	*Intake
	nc       *nats.Conn
	subject  string
	entered  chan struct{}
	release  chan struct{}
	opened   sync.Once
	inFlight atomic.Int32
	maxSeen  atomic.Int32
}

func newGatedIntake(t *testing.T, slots int) *gatedIntake {
	t.Helper()
	_, url := publishtest.StartNATS(t)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	g := &gatedIntake{nc: nc, subject: "intake.test", entered: make(chan struct{}, 64), release: make(chan struct{})}
	g.Intake, err = serveRequests(nc, g.subject, "q", slots, zaptest.NewLogger(t), g.handle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.open()
		if err := g.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return g
}

func (g *gatedIntake) handle(data []byte) []byte {
	n := g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	for m := g.maxSeen.Load(); n > m && !g.maxSeen.CompareAndSwap(m, n); m = g.maxSeen.Load() {
	}
	g.entered <- struct{}{}
	<-g.release
	return append([]byte("re: "), data...)
}

func (g *gatedIntake) open() { g.opened.Do(func() { close(g.release) }) }

// request sends n requests at once and returns a channel with each one's
// error once answered (nil when the reply is right).
func (g *gatedIntake) request(t *testing.T, n int) <-chan error {
	t.Helper()
	errs := make(chan error, n)
	for i := range n {
		go func() {
			body := fmt.Sprintf("request %d", i)
			msg, err := g.nc.Request(g.subject, []byte(body), 20*time.Second)
			if err == nil && string(msg.Data) != "re: "+body {
				err = fmt.Errorf("reply %q to %q", msg.Data, body)
			}
			errs <- err
		}()
	}
	return errs
}

func (g *gatedIntake) awaitEntered(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-g.entered:
		case <-time.After(20 * time.Second):
			t.Fatalf("fewer than %d requests were handled at once", n)
		}
	}
}

func awaitAnswers(t *testing.T, errs <-chan error, n int) {
	t.Helper()
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("request: %v", err)
		}
	}
}

// Requests are handled side by side: one waiting for its answer does not
// hold up the others (a subscription alone delivers them one at a time).
func TestIntakeHandlesRequestsConcurrently(t *testing.T) {
	const n = 4
	g := newGatedIntake(t, n)
	errs := g.request(t, n)
	g.awaitEntered(t, n)
	g.open()
	awaitAnswers(t, errs, n)
}

// No more than the slots run at once; the rest wait in the subscription
// and are answered when slots free up.
func TestIntakeBoundsConcurrentRequests(t *testing.T) {
	const slots, n = 2, 5
	g := newGatedIntake(t, slots)
	errs := g.request(t, n)
	g.awaitEntered(t, slots)
	// With both slots taken, the subscription holds the others (the one
	// its dispatch waits with among them).
	awaitPending(t, g.sub, n-slots)
	if got := g.inFlight.Load(); got != slots {
		t.Fatalf("%d requests in flight; want %d", got, slots)
	}
	g.open()
	awaitAnswers(t, errs, n)
	if got := g.maxSeen.Load(); got != slots {
		t.Errorf("at most %d requests ran at once; want %d", got, slots)
	}
}

func awaitPending(t *testing.T, sub *nats.Subscription, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, _, err := sub.Pending()
		if err != nil {
			t.Fatal(err)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests pending in the subscription; want %d", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Drain answers every request already received before it returns.
func TestIntakeDrainAnswersReceivedRequests(t *testing.T) {
	const n = 3
	g := newGatedIntake(t, 1)
	errs := g.request(t, n)
	g.awaitEntered(t, 1)
	awaitPending(t, g.sub, n-1)
	drained := make(chan error, 1)
	go func() { drained <- g.Drain(context.Background()) }()
	g.open()
	awaitAnswers(t, errs, n)
	if err := <-drained; err != nil {
		t.Errorf("Drain = %v; want nil", err)
	}
}
