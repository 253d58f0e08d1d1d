package bridge

import (
	"sync"

	"github.com/tlbridge/tlbridge/bridge/publish"
)

// encodeBufs recycles the buffers the bridge encodes into: an event's
// encoding, the largest allocation on its way through (about 3 KB for a
// result), needed until JetStream acknowledges it; a watch record's,
// needed until the KV write has copied it. A new buffer starts at the size
// of a typical event, so that its first encoding does not grow it from
// nothing in steps.
var encodeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxPooledEncode keeps a rare huge encoding's buffer (an event near the
// payload limit, the record of an Assembly with tens of thousands of
// results) out of the pool, so that it does not stay allocated.
const maxPooledEncode = 64 << 10

// encodeBuf returns an empty buffer to encode into, and the handle that
// gives it back with putEncodeBuf.
func encodeBuf() (*[]byte, []byte) {
	bp := encodeBufs.Get().(*[]byte)
	return bp, (*bp)[:0]
}

// putEncodeBuf gives a buffer back once nothing refers to its encoding;
// b is the buffer as the encoding left it.
func putEncodeBuf(bp *[]byte, b []byte) {
	if bp == nil || cap(b) > maxPooledEncode {
		return
	}
	*bp = b[:0]
	encodeBufs.Put(bp)
}

// heldBatch is what a watch holds while it applies a batch: the encoded
// events, and the messages handed to the publisher, which keeps neither
// slice once Publish returns.
type heldBatch struct {
	events []heldEvent
	msgs   []publish.Message
}

// heldBatches recycles them: grown from nothing by doubling for every
// batch, they were 7 % of the bytes the bridge allocated at saturation. A
// watch holds one only while it applies a batch, so an idle watch keeps
// none.
var heldBatches = sync.Pool{New: func() any {
	return &heldBatch{events: make([]heldEvent, 0, maxBatch), msgs: make([]publish.Message, 0, maxBatch)}
}}

// maxPooledBatch keeps the batch of a rare large status, thousands of
// results at once, out of the pool.
const maxPooledBatch = 4 * maxBatch

// release clears the batch, so that the pool holds no event, and gives it
// back.
func (b *heldBatch) release() {
	if cap(b.events) > maxPooledBatch || cap(b.msgs) > maxPooledBatch {
		return
	}
	clear(b.events)
	clear(b.msgs)
	b.events, b.msgs = b.events[:0], b.msgs[:0]
	heldBatches.Put(b)
}
