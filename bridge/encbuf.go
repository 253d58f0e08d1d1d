package bridge

import "sync"

// encodeBuffers recycles the buffers events are encoded into. An event's
// encoding is the largest allocation on its way through the bridge (about
// 3 KB for a result), and it is needed exactly until JetStream
// acknowledges it, when nothing else refers to it any more: a publisher
// keeps no message once Publish returns nil. A new buffer starts at the
// size of a typical event, so that its first encoding does not grow it
// from nothing in steps.
var encodeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxRecycled keeps a rare huge event's buffer out of the pool, so that it
// does not stay allocated.
const maxRecycled = 64 << 10

// encodeBuffer returns an empty buffer to encode an event into, and the
// handle that gives it back with recycle.
func encodeBuffer() (*[]byte, []byte) {
	bp := encodeBuffers.Get().(*[]byte)
	return bp, (*bp)[:0]
}

// recycle gives an event's buffer back once the event was acknowledged
// (and OnEvent has returned); b is the buffer as the encoding left it.
func recycle(bp *[]byte, b []byte) {
	if bp == nil || cap(b) > maxRecycled {
		return
	}
	*bp = b[:0]
	encodeBuffers.Put(bp)
}
