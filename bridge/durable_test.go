package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlbridge/tlbridge/bridge"
	"github.com/tlbridge/tlbridge/internal/transloadit"
	"github.com/tlbridge/tlbridge/schemas"
)

// Kill: three replicas, 60 Assemblies in flight, one replica lost without
// a word. Its watches come back after AckWait to the others; every
// Assembly reaches its terminal event once, nothing is lost, and no
// event, upload or result appears twice.
func TestDurableKill(t *testing.T) {
	t.Parallel()
	c := newCluster(t, clusterOptions{tick: 50 * time.Millisecond})
	rs := []*replica{c.add("a"), c.add("b"), c.add("c")}
	sts := c.createPaused(60)
	ids := make([]string, len(sts))
	for i, st := range sts {
		ids[i] = st.AssemblyID
		mustWatch(t, rs[i%len(rs)], watchRequest(st))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	awaitActive(ctx, t, func() int { return len(sts) }, rs...)
	lost := rs[0].m.Active()
	c.resumeAll(sts)
	time.Sleep(5 * 50 * time.Millisecond) // a few ticks: the lost watches are mid-way
	rs[0].kill(t)
	t.Logf("replica a lost with %d of %d watches", lost, len(sts))
	evs := c.awaitTerminal(ctx, ids)
	c.checkExactlyOnce(evs, ids)
}

// Rolling restart: two replicas stopped with SIGTERM one after the other
// while 40 Assemblies run, each replaced by a new one. Every watch handed
// back resumes on the other replica by the nak, not by AckWait (which is
// set far beyond the test's bound), and the stream is exactly once.
func TestDurableRollingRestart(t *testing.T) {
	t.Parallel()
	c := newCluster(t, clusterOptions{tick: 40 * time.Millisecond, ackWait: time.Minute})
	a, b := c.add("a"), c.add("b")
	sts := c.createPaused(40)
	ids := make([]string, len(sts))
	for i, st := range sts {
		ids[i] = st.AssemblyID
		mustWatch(t, []*replica{a, b}[i%2], watchRequest(st))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	awaitActive(ctx, t, func() int { return len(sts) }, a, b)
	c.resumeAll(sts)
	stopped := time.Now()
	a.stop(t)
	a2 := c.add("a2")
	// Every watch a handed back runs again on b or a2.
	awaitActive(ctx, t, func() int { return countUnfinished(c, ids) }, b, a2)
	t.Logf("a's watches resumed within %v of its stop", time.Since(stopped))
	stopped = time.Now()
	b.stop(t)
	awaitActive(ctx, t, func() int { return countUnfinished(c, ids) }, a2)
	t.Logf("b's watches resumed within %v of its stop", time.Since(stopped))
	evs := c.awaitTerminal(ctx, ids)
	c.checkExactlyOnce(evs, ids)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if n := countOutcomes(c.ended[id], func(o bridge.Outcome) bool { return o != bridge.OutcomeStopped }); n != 1 {
			t.Errorf("%s ended %v; want one end besides hand-backs", id, c.ended[id])
		}
	}
}

// countUnfinished is the number of Assemblies whose watch has not ended
// for good (a hand-back is no end).
func countUnfinished(c *cluster, ids []string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, id := range ids {
		if countOutcomes(c.ended[id], func(o bridge.Outcome) bool { return o != bridge.OutcomeStopped }) == 0 {
			n++
		}
	}
	return n
}

func countOutcomes(os []bridge.Outcome, pred func(bridge.Outcome) bool) int {
	n := 0
	for _, o := range os {
		if pred(o) {
			n++
		}
	}
	return n
}

// Crowd: each Assembly requested five times over two replicas. One worker
// per Assembly (one update stream), and the simulator never sees more than
// three status requests in a second for any Assembly.
func TestDurableCrowd(t *testing.T) {
	t.Parallel()
	c := newCluster(t, clusterOptions{})
	rs := []*replica{c.add("a"), c.add("b")}
	sts := c.create(10)
	ids := make([]string, len(sts))
	for i, st := range sts {
		ids[i] = st.AssemblyID
		for k := range 5 {
			mustWatch(t, rs[(i+k)%2], watchRequest(st))
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	evs := c.awaitTerminal(ctx, ids)
	c.checkExactlyOnce(evs, ids)
	for _, id := range ids {
		if n := c.srv.StreamConnections(id); n > 1 {
			t.Errorf("%s: %d update stream connections; want one worker", id, n)
		}
		if n := c.srv.MaxStatusRequestsInWindow(id, time.Second); n > 3 {
			t.Errorf("%s: %d status requests within one second; want at most 3", id, n)
		}
	}
}

// Past the window: with a 1s duplicate window, a watch request or a
// notification for a finished Assembly publishes nothing, a replay
// publishes again under new IDs, and a takeover after the window
// publishes only what is new.
func TestDurablePastTheWindow(t *testing.T) {
	t.Parallel()
	c := newCluster(t, clusterOptions{duplicates: time.Second, ackWait: time.Second})
	a := c.add("a")
	sts := c.create(3)
	ids := []string{sts[0].AssemblyID, sts[1].AssemblyID, sts[2].AssemblyID}
	for _, st := range sts {
		mustWatch(t, a, watchRequest(st))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	before := len(flatten(c.awaitTerminal(ctx, ids)))
	time.Sleep(1500 * time.Millisecond) // past the window

	for _, st := range sts {
		reply := mustWatch(t, a, watchRequest(st))
		if reply.State != string(bridge.OutcomeCompleted) && reply.State != string(bridge.OutcomeFailed) {
			t.Errorf("Watch(finished %s) = %+v; want its outcome as state", st.AssemblyID, reply)
		}
		final, _ := c.srv.Status(st.AssemblyID)
		if reply, err := a.m.Notify(ctx, final); err != nil || !reply.OK {
			t.Errorf("Notify(finished %s) = %+v, %v", st.AssemblyID, reply, err)
		}
	}
	evs := c.awaitTerminal(ctx, ids)
	if after := len(flatten(evs)); after != before {
		t.Errorf("stream grew from %d to %d events after re-watching finished Assemblies", before, after)
	}
	c.checkExactlyOnce(evs, ids)

	// A replay, asked over HTTP, publishes again with new IDs.
	api := httptest.NewServer(bridge.NewHTTPHandler(a.m, bridge.HTTPConfig{Insecure: true}))
	defer api.Close()
	body, _ := json.Marshal(watchRequest(sts[0]))
	resp, err := http.Post(api.URL+"/v1/watches?replay=true", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/watches?replay=true = %d", resp.StatusCode)
	}
	for {
		evs = c.awaitTerminal(ctx, ids)
		if n := len(evs[ids[0]]); n > 0 && strings.Contains(evs[ids[0]][n-1].ID, "/replay/") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	firstRun := len(flatten(map[string][]*schemas.Event{"": evs[ids[0]]})) / 2
	if got := countReplayed(evs[ids[0]]); got != firstRun {
		t.Errorf("replay published %d events; want the %d of the first run", got, firstRun)
	}

	// A takeover after the window publishes only what is new.
	slow, err := c.srv.Create(ctx, lifecycleScripts[1].script)
	if err != nil {
		t.Fatal(err)
	}
	mustWatch(t, a, watchRequest(slow))
	if err := c.srv.AwaitState(ctx, slow.AssemblyID, func(st *transloadit.Status) bool { return len(st.Uploads) > 0 }); err != nil {
		t.Fatal(err)
	}
	if err := c.srv.Pause(slow.AssemblyID); err != nil {
		t.Fatal(err)
	}
	awaitEvents(ctx, t, c, slow.AssemblyID, schemas.TypeUploadFinished)
	time.Sleep(1500 * time.Millisecond) // past the window, every checkpoint written
	a.kill(t)
	b := c.add("b")
	if err := c.srv.Resume(slow.AssemblyID); err != nil {
		t.Fatal(err)
	}
	all := append(ids, slow.AssemblyID)
	evs = c.awaitTerminal(ctx, all)
	c.checkExactlyOnce(map[string][]*schemas.Event{slow.AssemblyID: evs[slow.AssemblyID]}, []string{slow.AssemblyID})
	if got := family(t, b.reg, "tlbridge_watches_resumed_total").GetMetric()[0].GetCounter().GetValue(); got != 1 {
		t.Errorf("b resumed %v watches from a checkpoint; want 1", got)
	}
}

func flatten(evs map[string][]*schemas.Event) []*schemas.Event {
	var out []*schemas.Event
	for _, list := range evs {
		out = append(out, list...)
	}
	return out
}

func countReplayed(evs []*schemas.Event) int {
	n := 0
	for _, ev := range evs {
		if strings.Contains(ev.ID, "/replay/") {
			n++
		}
	}
	return n
}

// awaitEvents waits until the stream holds an event of type typ for id.
func awaitEvents(ctx context.Context, t *testing.T, c *cluster, id string, typ schemas.Type) {
	t.Helper()
	for {
		evs, err := c.events(ctx)
		if err == nil && slices.ContainsFunc(evs[id], func(ev *schemas.Event) bool { return ev.Type == typ }) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no %s event of %s", typ, id)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Cancel: DELETE on replica A of a watch running on replica B stops B's
// worker and publishes watch.canceled once; the watch is gone everywhere.
func TestDurableCancel(t *testing.T) {
	t.Parallel()
	c := newCluster(t, clusterOptions{})
	rs := []*replica{c.add("a"), c.add("b")}
	st := c.create(1)[0]
	if err := c.srv.Pause(st.AssemblyID); err != nil {
		t.Fatal(err)
	}
	id := st.AssemblyID
	mustWatch(t, rs[0], watchRequest(st))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	owner := awaitOwner(ctx, t, rs, id)
	other := rs[0]
	if owner == rs[0] {
		other = rs[1]
	}
	// The shared record names the owner once its worker has written it.
	for {
		info, found, err := other.m.Lookup(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if found && info.Owner == owner.name {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the shared record never named %s as the owner", owner.name)
		}
		time.Sleep(5 * time.Millisecond)
	}
	api := httptest.NewServer(bridge.NewHTTPHandler(other.m, bridge.HTTPConfig{Insecure: true}))
	defer api.Close()
	var info bridge.WatchInfo
	if code := getJSON(t, api.URL+"/v1/watches/"+id, &info); code != http.StatusOK || info.Owner != owner.name {
		t.Errorf("GET on %s of a watch running on %s = %d %+v; want 200 naming its owner", other.name, owner.name, code, info)
	}
	var list struct{ Watches []bridge.WatchInfo }
	getJSON(t, api.URL+"/v1/watches", &list)
	if len(list.Watches) != 1 || list.Watches[0].AssemblyID != id || list.Watches[0].Owner != owner.name {
		t.Errorf("GET /v1/watches on %s = %+v; want the watch running on %s", other.name, list.Watches, owner.name)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, api.URL+"/v1/watches/"+id, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE on %s = %d; want 200", other.name, resp.StatusCode)
	}
	if o, err := owner.m.Wait(ctx, id); err != nil || o != bridge.OutcomeWatchCanceled {
		t.Errorf("%s: watch ended %q, %v; want %q", owner.name, o, err, bridge.OutcomeWatchCanceled)
	}
	var evs map[string][]*schemas.Event
	for !c.queueEmpty(ctx) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	if evs, err = c.events(ctx); err != nil {
		t.Fatal(err)
	}
	canceled := 0
	for _, ev := range evs[id] {
		if ev.Type == schemas.TypeWatchCanceled {
			canceled++
			if by := ev.Data.(*schemas.WatchCanceled).RequestedBy; !strings.Contains(by, "tlbridge/"+other.name) {
				t.Errorf("watch.canceled requested_by %q; want it to name %s", by, other.name)
			}
		}
	}
	if canceled != 1 {
		t.Errorf("%d watch.canceled events; want 1", canceled)
	}
	if _, found, err := other.m.Lookup(ctx, id); found || err != nil {
		t.Errorf("Lookup after DELETE = %v, %v; want the watch gone", found, err)
	}
	_ = c.srv.Resume(id)
}

// awaitOwner returns the replica that runs id.
func awaitOwner(ctx context.Context, t *testing.T, rs []*replica, id string) *replica {
	t.Helper()
	for {
		for _, r := range rs {
			if _, ok := r.m.Get(id); ok {
				return r
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no replica runs %s", id)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// BenchmarkDurableWatch runs Assemblies one after the other through one
// durable replica and reports what the durability costs per Assembly:
// KV writes (checkpoints, their removal, the finished record) against
// the events published.
func BenchmarkDurableWatch(b *testing.B) {
	c := newCluster(b, clusterOptions{tick: 5 * time.Millisecond})
	r := c.add("a")
	ctx := context.Background()
	var ids []string
	for b.Loop() {
		st, err := c.srv.Create(ctx, lifecycleScripts[1].script)
		if err != nil {
			b.Fatal(err)
		}
		mustWatch(b, r, watchRequest(st))
		ids = append(ids, st.AssemblyID)
		if _, err := r.m.Wait(ctx, st.AssemblyID); err != nil {
			awaitOwnEnd(ctx, b, c, st.AssemblyID)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	evs := c.awaitTerminal(wctx, ids)
	writes := kvWrites(wctx, b, c, clusterStream+"_CHECKPOINTS") + kvWrites(wctx, b, c, clusterStream+"_FINISHED")
	n := float64(len(ids))
	b.ReportMetric(float64(writes)/n, "kv-writes/assembly")
	b.ReportMetric(float64(len(flatten(evs)))/n, "events/assembly")
}

// awaitOwnEnd waits until the replica's watch of id ended, and returns
// how its watches ended; Wait knows of it only once the replica took it
// from the queue.
func awaitOwnEnd(ctx context.Context, tb testing.TB, c *cluster, id string) []bridge.Outcome {
	tb.Helper()
	for {
		if ended := c.endedOf(id); len(ended) > 0 {
			return ended
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("the watch of %s did not end: %v", id, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// kvWrites counts the writes a bucket took: its stream's last sequence.
func kvWrites(ctx context.Context, b *testing.B, c *cluster, bucket string) uint64 {
	st, err := c.js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		b.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return info.State.LastSeq
}

// A worker whose watch another replica took over (it missed its
// heartbeats for longer than AckWait) stops without touching the watch:
// one worker per Assembly even then. The takeover is staged by writing
// the record as another replica would.
func TestDurableTakenOverWorkerStops(t *testing.T) {
	t.Parallel()
	c := newCluster(t, clusterOptions{ackWait: time.Second})
	a := c.add("a")
	st := c.createPaused(1)[0]
	id := st.AssemblyID
	mustWatch(t, a, watchRequest(st))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	takeOver(ctx, t, c, id)
	for countOutcomes(c.endedOf(id), func(o bridge.Outcome) bool { return o == bridge.OutcomeStopped }) == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the worker went on after another replica took its watch over")
		case <-time.After(10 * time.Millisecond):
		}
	}
	// The message was left alone: it comes back after AckWait, and the
	// watch ends once, exactly.
	c.resumeAll([]*transloadit.Status{st})
	evs := c.awaitTerminal(ctx, []string{id})
	c.checkExactlyOnce(evs, []string{id})
}

// TestDurableCheckpointKeepsATakeover: a worker that has not noticed the
// takeover yet (its owner checks are minutes apart here) never writes its
// checkpoint over the new owner's record; that write is how it notices.
func TestDurableCheckpointKeepsATakeover(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	w := takenOverWatch(ctx, t)
	// Past the checkpoint pace (a sixth of AckWait, at most 5 s), the
	// Assembly goes on: the worker's next acknowledged event is
	// checkpointed at once.
	time.Sleep(5 * time.Second)
	w.c.resumeAll([]*transloadit.Status{w.st})
	if got := awaitOwnEnd(ctx, t, w.c, w.st.AssemblyID); got[0] != bridge.OutcomeStopped {
		t.Errorf("the watch ended %q after another replica took it over; want %q", got[0], bridge.OutcomeStopped)
	}
	w.checkRecordKept(ctx, t)
}

// A replica whose watch ends before it notices the takeover leaves the
// new owner's record alone: it removes only the record it wrote itself.
func TestDurableEndKeepsATakeover(t *testing.T) {
	t.Parallel()
	for _, end := range []string{"canceled", "completed"} {
		t.Run(end, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			w := takenOverWatch(ctx, t)
			// Heartbeats notice the new owner only after a while
			// (AckWait is a minute); the watch ends long before.
			if end == "canceled" {
				if _, err := w.a.m.Cancel(ctx, w.st.AssemblyID, "test"); err != nil {
					t.Fatal(err)
				}
			} else {
				w.c.resumeAll([]*transloadit.Status{w.st})
			}
			awaitOwnEnd(ctx, t, w.c, w.st.AssemblyID)
			w.checkRecordKept(ctx, t)
		})
	}
}

// A queued watch that a replica takes up while a cancel, which nobody
// answered, is about to drop it from the queue is canceled all the same:
// asked once more, that replica stops it.
func TestDurableCancelReachesAWatchTakenUpMeanwhile(t *testing.T) {
	t.Parallel()
	c := newCluster(t, clusterOptions{maxWatches: 1})
	a := c.add("a")
	sts := c.createPaused(2)
	first, queued := sts[0].AssemblyID, sts[1].AssemblyID
	mustWatch(t, a, watchRequest(sts[0]))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	awaitEvents(ctx, t, c, first, schemas.TypeUploading)
	mustWatch(t, a, watchRequest(sts[1])) // a is full: this one waits in the queue
	bridge.BeforeCancelDrops(a.m, func() {
		// Room again: a takes the queued watch up before it is dropped.
		if _, err := a.m.Cancel(ctx, first, "test"); err != nil {
			t.Error(err)
		}
		for {
			if _, ok := a.m.Get(queued); ok {
				return
			}
			select {
			case <-ctx.Done():
				t.Error("the queued watch was not taken up")
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	if _, err := a.m.Cancel(ctx, queued, "test"); err != nil {
		t.Fatal(err)
	}
	if got := awaitOwnEnd(ctx, t, c, queued); got[0] != bridge.OutcomeWatchCanceled {
		t.Errorf("the watch taken up during its cancel ended %q; want %q", got[0], bridge.OutcomeWatchCanceled)
	}
}

// takenOver is a watch running on replica a, whose record another
// replica has since written as a takeover does.
type takenOver struct {
	c   *cluster
	a   *replica
	st  *transloadit.Status
	kv  jetstream.KeyValue
	rev uint64 // of the record the takeover wrote
}

// takenOverWatch starts a paused Assembly's watch on a cluster whose
// AckWait is a minute, so that replica a's heartbeats notice a takeover
// only long after the test, and takes the watch over.
func takenOverWatch(ctx context.Context, t *testing.T) takenOver {
	t.Helper()
	c := newCluster(t, clusterOptions{ackWait: time.Minute})
	a := c.add("a")
	st := c.createPaused(1)[0]
	mustWatch(t, a, watchRequest(st))
	kv, rev := takeOver(ctx, t, c, st.AssemblyID)
	return takenOver{c: c, a: a, st: st, kv: kv, rev: rev}
}

// checkRecordKept checks that the record is still the one the takeover
// wrote.
func (w takenOver) checkRecordKept(ctx context.Context, t *testing.T) {
	t.Helper()
	e, err := w.kv.Get(ctx, w.st.AssemblyID)
	if err != nil {
		t.Fatalf("the record of the replica that took the watch over is gone: %v", err)
	}
	if e.Revision() != w.rev {
		t.Errorf("the record was written over after the takeover: %s", e.Value())
	}
}

// Canceling a watch whose replica is gone removes its record only as it
// was read: a replica that takes the watch up meanwhile keeps its record,
// and the caller is told to ask again.
func TestDurableCancelUnownedKeepsATakeover(t *testing.T) {
	t.Parallel()
	c := newCluster(t, clusterOptions{ackWait: time.Minute})
	a := c.add("a")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	kv, err := c.js.KeyValue(ctx, clusterStream+"_CHECKPOINTS")
	if err != nil {
		t.Fatal(err)
	}
	id := c.createPaused(1)[0].AssemblyID
	rec := map[string]any{"assembly_id": id, "watch": "w1", "owner": "gone", "events": 0, "checkpoint": map[string]any{}}
	b, _ := json.Marshal(rec)
	if _, err := kv.Put(ctx, id, b); err != nil {
		t.Fatal(err)
	}
	// The cancel request reaches no replica of the watch; while it waits,
	// a replica takes the watch up and writes the record.
	revs := make(chan uint64, 1)
	sub, err := c.js.Conn().Subscribe(testPrefix+".v1.cancel."+id, func(*nats.Msg) {
		rec["owner"] = "elsewhere"
		b, _ := json.Marshal(rec)
		rev, err := kv.Put(ctx, id, b)
		if err != nil {
			t.Error(err)
		}
		select {
		case revs <- rev:
		default: // only the first request counts
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	// The subscription is the server's before the request goes out.
	if err := c.js.Conn().Flush(); err != nil {
		t.Fatal(err)
	}
	_, err = a.m.Cancel(ctx, id, "test")
	var we *bridge.WatchError
	if !errors.As(err, &we) || we.Code != bridge.CodeUnavailable {
		t.Errorf("Cancel while another replica took the watch up = %v; want a %s WatchError", err, bridge.CodeUnavailable)
	}
	var rev uint64
	select {
	case rev = <-revs:
	case <-ctx.Done():
		t.Fatal("the cancel request never came")
	}
	e, err := kv.Get(ctx, id)
	if err != nil {
		t.Fatalf("the record of the replica that took the watch up is gone: %v", err)
	}
	if e.Revision() != rev {
		t.Errorf("the record was written over: %s", e.Value())
	}
}

// takeOver waits until the running watch of id has checkpointed every
// event it published, then writes its record as a replica taking it over
// does; it returns the bucket and the record's revision.
func takeOver(ctx context.Context, t *testing.T, c *cluster, id string) (jetstream.KeyValue, uint64) {
	t.Helper()
	// Once its first events are out and checkpointed, the paused Assembly
	// gives the worker nothing more to write: the record stays as staged.
	awaitEvents(ctx, t, c, id, schemas.TypeUploading)
	kv, err := c.js.KeyValue(ctx, clusterStream+"_CHECKPOINTS")
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	for {
		e, err := kv.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			t.Fatal(err)
		}
		evs, err := c.events(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := rec["events"].(float64); n > 0 && int(n) == len(evs[id]) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	rec["owner"] = "elsewhere"
	b, _ := json.Marshal(rec)
	rev, err := kv.Put(ctx, id, b)
	if err != nil {
		t.Fatal(err)
	}
	return kv, rev
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Errorf("GET %s: %v", url, err)
	}
	return resp.StatusCode
}
