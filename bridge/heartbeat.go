package bridge

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// ownerCheckEvery is how many heartbeats pass between two checks that the
// watch is still this replica's, unless a heartbeat failed: about twice
// AckWait, so that thousands of watches cost a few reads per second.
const ownerCheckEvery = 6

// heartbeatChecks bounds the owner checks in flight at once. Each is a KV
// read, bounded by kvTimeout, made beside the loop so that a slow read
// holds up no other watch's beat; a check that finds no room is made at
// the lease's next beat.
const heartbeatChecks = 8

// heartbeats keeps the queued message of every watch running here from
// being redelivered, from one goroutine for all of them: a lease beats
// (InProgress) every third of AckWait from its start, which leaves room
// for two lost beats, and the leases beat in turn as they fall due
// rather than all at once. If a watch was redelivered anyway (its beats
// did not arrive, e.g. through a NATS outage longer than AckWait) and
// another replica took it over, its worker is stopped.
//
// Beats run on real time, not on the Manager's Clock: the server measures
// AckWait on real time.
type heartbeats struct {
	d     *durable
	every time.Duration

	mu      sync.Mutex // guards due, stopped and the beats' fields
	due     beatQueue
	stopped bool

	wake   chan struct{}      // the first beat due changed
	slots  chan struct{}      // owner checks in flight
	checks sync.WaitGroup     // owner checks
	cancel context.CancelFunc // stops the loop and the checks
	done   chan struct{}      // closed when the loop returned
}

// beat is a lease's place among the heartbeats; heartbeats.mu guards it.
type beat struct {
	l       *lease
	w       *worker
	next    time.Time // when it beats next
	index   int       // in due; -1 once out of it
	count   int       // beats sent
	suspect bool      // a beat failed or a check found no room: check next

	stopCheck context.CancelFunc // set while an owner check runs
	checked   chan struct{}      // closed when that check is over
}

func newHeartbeats(d *durable) *heartbeats {
	// A zero period would beat in a loop.
	h := &heartbeats{d: d, every: max(d.store.AckWait/3, time.Millisecond), wake: make(chan struct{}, 1),
		slots: make(chan struct{}, heartbeatChecks), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go h.run(ctx)
	return h
}

// stop ends the loop and waits for it and its owner checks. Leases still
// registered beat no more; removing them is safe.
func (h *heartbeats) stop() {
	h.mu.Lock()
	h.stopped = true
	h.mu.Unlock()
	h.cancel()
	<-h.done
}

// add starts the beats of l, whose worker is w; nil once stopped.
func (h *heartbeats) add(l *lease, w *worker) *beat {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return nil
	}
	b := &beat{l: l, w: w, next: time.Now().Add(h.every)}
	heap.Push(&h.due, b)
	if b.index == 0 {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
	return b
}

// remove ends the beats of b: once it returns, no beat or owner check of
// b runs any more.
func (h *heartbeats) remove(b *beat) {
	if b == nil {
		return
	}
	h.mu.Lock()
	if b.index >= 0 {
		heap.Remove(&h.due, b.index)
	}
	stopCheck, checked := b.stopCheck, b.checked
	h.mu.Unlock()
	if checked != nil {
		stopCheck()
		<-checked
	}
}

func (h *heartbeats) run(ctx context.Context) {
	defer close(h.done)
	defer h.checks.Wait() // ctx, ended by now, stops them
	t := time.NewTimer(h.every)
	defer t.Stop()
	for {
		t.Reset(h.beatDue(ctx, time.Now()))
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		case <-t.C:
		}
	}
}

// beatDue beats every lease due by now and returns how long until the
// next one is. The lock is taken per beat, so that a worker ending
// waits for one beat at most.
func (h *heartbeats) beatDue(ctx context.Context, now time.Time) time.Duration {
	for {
		h.mu.Lock()
		if len(h.due) == 0 {
			h.mu.Unlock()
			return h.every
		}
		b := h.due[0]
		if wait := b.next.Sub(now); wait > 0 {
			h.mu.Unlock()
			return wait
		}
		b.next = now.Add(h.every)
		heap.Fix(&h.due, 0)
		h.beatLocked(ctx, b)
		h.mu.Unlock()
	}
}

func (h *heartbeats) beatLocked(ctx context.Context, b *beat) {
	if err := b.l.msg.InProgress(); err != nil {
		h.d.log.Debug("watch heartbeat failed", zap.String("assembly_id", b.l.q.AssemblyID), zap.Error(err))
		b.suspect = true
		return
	}
	if b.count++; !b.suspect && b.count%ownerCheckEvery != 0 {
		return
	}
	if b.checked != nil {
		return
	}
	select {
	case h.slots <- struct{}{}:
	default:
		b.suspect = true
		return
	}
	b.suspect = false
	cctx, cancel := context.WithCancel(ctx)
	b.stopCheck, b.checked = cancel, make(chan struct{})
	h.checks.Go(func() { h.checkOwner(cctx, b) })
}

// checkOwner stops b's worker if another replica took its watch over.
func (h *heartbeats) checkOwner(ctx context.Context, b *beat) {
	lost := b.l.takenOver(ctx)
	h.mu.Lock()
	if lost && b.index >= 0 {
		heap.Remove(&h.due, b.index)
	}
	checked := b.checked
	b.stopCheck()
	b.stopCheck, b.checked = nil, nil
	h.mu.Unlock()
	<-h.slots
	if lost {
		b.l.yield(b.w)
	}
	close(checked)
}

// takenOver reports whether the watch's record names another owner or
// another watch: what a replica that took it over writes first.
func (l *lease) takenOver(ctx context.Context) bool {
	rec, err := l.d.record(ctx, l.q.AssemblyID)
	return err == nil && rec != nil && (rec.Owner != l.d.m.cfg.Instance || rec.Watch != l.q.Watch)
}

// beatQueue orders beats by when they are due, for container/heap.
type beatQueue []*beat

func (q beatQueue) Len() int           { return len(q) }
func (q beatQueue) Less(i, j int) bool { return q[i].next.Before(q[j].next) }

func (q beatQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}

func (q *beatQueue) Push(x any) {
	b := x.(*beat)
	b.index = len(*q)
	*q = append(*q, b)
}

func (q *beatQueue) Pop() any {
	old := *q
	b := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	b.index = -1
	return b
}
