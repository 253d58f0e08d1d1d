package stream

import (
	"net/http"
	"sync"
)

// Connection buffer sizes of defaultTransport. The event reader has its
// own buffer, which grows with the events; the request is one line and a
// few headers.
const (
	connReadBuffer  = 1 << 10
	connWriteBuffer = 512
)

// defaultTransport is what streams use when the caller's client has no
// Transport: http.DefaultTransport's settings as they are at the first
// stream, with small connection buffers, since a bridge holds thousands
// of streams open and net/http gives each HTTP/1.1 connection 8 KiB of
// them by default. Keep-alives stay on: turning them off would also make
// every HTTP/2 stream dial a connection of its own instead of sharing one.
var defaultTransport = sync.OnceValue(func() http.RoundTripper {
	base, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	tr := base.Clone()
	tr.ReadBufferSize, tr.WriteBufferSize = connReadBuffer, connWriteBuffer
	return tr
})
