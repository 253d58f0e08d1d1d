package bridge

import (
	"context"

	"golang.org/x/sync/semaphore"
)

// Defaults of the read-ahead bounds (see ManagerConfig).
const (
	defaultReadAhead      = 256 << 10
	defaultReadAheadTotal = 64 << 20
)

// A queued update holds its payload about three times over: the frame's
// copy (Raw), the decoded strings and members, which are pieces of it,
// and the structs, maps and interface boxing around them, which grow with
// the number of members. Counting Raw and 512 bytes left the bound at about
// half the memory it stood for. TestReadAheadCountsWhatAnUpdateHolds
// measures it on the recorded stream.
const (
	updateFactor   = 3
	updateOverhead = 256
)

// updateSize is what an update with a payload of n bytes holds.
func updateSize(n int) int64 { return updateFactor*int64(n) + updateOverhead }

// readAhead bounds the memory of stream updates read but not yet applied,
// for one watch and across all of them. Past either bound the stream's
// reader waits, so the bridge stops reading the socket and TCP pushes
// back on the upstream instead of the bridge's memory growing.
type readAhead struct {
	watch, all *semaphore.Weighted
	watchMax   int64
	allMax     int64
}

func newReadAhead(all *semaphore.Weighted, allMax, watchMax int64) *readAhead {
	return &readAhead{watch: semaphore.NewWeighted(watchMax), all: all, watchMax: watchMax, allMax: allMax}
}

// hold takes room for e, waiting for it; false means ctx ended first. An
// update larger than a bound takes the whole bound, so it waits for the
// others but still goes through.
func (ra *readAhead) hold(ctx context.Context, e streamEvent) bool {
	n := sizeOf(e)
	if n == 0 {
		return true
	}
	if ra.watch.Acquire(ctx, min(n, ra.watchMax)) != nil {
		return false
	}
	if ra.all.Acquire(ctx, min(n, ra.allMax)) != nil {
		ra.watch.Release(min(n, ra.watchMax))
		return false
	}
	return true
}

// done gives back e's room once the worker has applied it.
func (ra *readAhead) done(e streamEvent) {
	if n := sizeOf(e); n > 0 {
		ra.all.Release(min(n, ra.allMax))
		ra.watch.Release(min(n, ra.watchMax))
	}
}

func sizeOf(e streamEvent) int64 {
	if u, ok := e.(streamUpdate); ok {
		return updateSize(len(u.u.Raw))
	}
	return 0
}
