package bridge_test

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/bridge/publish"
	"github.com/tlbridge/tlbridge/internal/transloadit"
)

// A watch that runs for several AckWaits stays with the replica that took
// it: its heartbeats keep the queued message from being redelivered to
// the other replica.
func TestDurableHeartbeatsKeepTheWatch(t *testing.T) {
	t.Parallel()
	const ackWait = 2 * time.Second
	c := newCluster(t, clusterOptions{ackWait: ackWait})
	rs := []*replica{c.add("a"), c.add("b")}
	st := c.createPaused(1)[0]
	id := st.AssemblyID
	mustWatch(t, rs[0], watchRequest(st))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	owner := awaitOwner(ctx, t, rs, id)
	time.Sleep(3 * ackWait)
	cons, err := c.js.Consumer(ctx, clusterStream+"_WATCHES", publish.WatchConsumer)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Delivered.Consumer != 1 || info.NumRedelivered != 0 {
		t.Errorf("watch delivered %d times, %d redelivered; want once", info.Delivered.Consumer, info.NumRedelivered)
	}
	if _, ok := owner.m.Get(id); !ok || len(c.endedOf(id)) != 0 {
		t.Errorf("%s no longer runs the watch (ended %v)", owner.name, c.endedOf(id))
	}
	c.resumeAll([]*transloadit.Status{st})
	evs := c.awaitTerminal(ctx, []string{id})
	c.checkExactlyOnce(evs, []string{id})
}

// The heartbeats of all running durable watches share one goroutine:
// past its worker, a watch adds no goroutine of the bridge's own. Poll
// only, so that no update stream reader is counted either.
func TestDurableHeartbeatsShareOneGoroutine(t *testing.T) {
	// Not parallel: it counts the goroutines of the whole process.
	c := newCluster(t, clusterOptions{pollOnly: true})
	before, _ := bridgeGoroutines()
	r := c.add("a")
	const n = 32
	for _, st := range c.createPaused(n) {
		mustWatch(t, r, watchRequest(st))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	awaitActive(ctx, t, func() int { return n }, r)
	all, workers := bridgeGoroutines()
	if workers != n {
		t.Fatalf("%d worker goroutines for %d watches", workers, n)
	}
	// The fetch loop, the heartbeat loop, and owner checks in flight.
	t.Logf("%d watches: %d goroutines beside their workers", n, all-before-workers)
	if extra := all - before - workers; extra > 2+bridge.HeartbeatChecks {
		t.Errorf("%d watches run with %d goroutines beside their workers; want at most %d, whatever the number of watches",
			n, extra, 2+bridge.HeartbeatChecks)
	}
}

// bridgeGoroutines counts the goroutines running code of package bridge
// (not of its subpackages), and among them the watches' workers.
func bridgeGoroutines() (all, workers int) {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("tlbridge/tlbridge/bridge.")) {
			all++
		}
		// A deep stack is cut short, but names its creator.
		if bytes.Contains(g, []byte("created by github.com/tlbridge/tlbridge/bridge.(*Manager).startLocked")) {
			workers++
		}
	}
	return all, workers
}
