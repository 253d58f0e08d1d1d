// Package pacing provides a net.Conn whose writes are coalesced while the
// connection is busy.
//
// A client such as nats.go writes to its socket each time its flusher
// wakes, which under load is once or twice for every message: with 5,000
// watches at one event a second each, the bridge made about 7,500 write
// system calls a second, each one also a wake-up of the reader at the
// other end. A [Conn] lets a write that comes soon after the last one
// wait for the rest of the interval, with whatever else is written
// meanwhile, so a busy connection makes about one write an interval, and
// a quiet one waits for nothing.
package pacing

import (
	"net"
	"sync"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
)

// MaxBuffered bounds what a Conn holds back: a write that would take it
// past this goes out at once, with what was held.
const MaxBuffered = 64 << 10

// Conn is a net.Conn whose writes are paced: a Write that comes at least
// Every after the last write that reached the socket goes out at once; one
// that comes sooner is held and sent, with whatever is written meanwhile,
// once Every has passed since that write. Reads are the wrapped
// connection's.
//
// A held write reports success. If sending it fails, the error is returned
// by the next Write, and the wrapped connection is closed, so that a
// reader blocked on it learns of the failure as it would have from the
// write. Close sends what is held first, within a second. Write deadlines
// apply to writes made at once; a held write must reach the socket within
// the timeout given to [New].
type Conn struct {
	net.Conn
	every   time.Duration
	timeout time.Duration
	clock   retry.Clock

	mu       sync.Mutex // guards the fields below and orders the wrapped conn's writes
	held     []byte     // written, not yet sent
	last     time.Time  // when the last write reached the socket
	timer    retry.Timer
	armed    uint64    // counts the timers armed: a timer stopped too late knows it is stale
	deadline time.Time // the caller's write deadline
	err      error     // a held write's failure
	closed   bool
}

// New returns c paced at every. timeout bounds the sending of held writes
// (a peer that stopped reading); clock is nil for real time.
func New(c net.Conn, every, timeout time.Duration, clock retry.Clock) *Conn {
	if clock == nil {
		clock = retry.SystemClock()
	}
	return &Conn{Conn: c, every: every, timeout: timeout, clock: clock}
}

// Write sends p now, or holds it: see [Conn].
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.err != nil:
		return 0, c.err
	case c.closed:
		return 0, net.ErrClosed
	}
	now := c.clock.Now()
	if len(c.held) == 0 && now.Sub(c.last) >= c.every {
		c.last = now
		return c.Conn.Write(p)
	}
	if len(c.held)+len(p) > MaxBuffered {
		return c.sendWith(p)
	}
	c.held = append(c.held, p...)
	if c.timer == nil {
		c.armed++
		armed := c.armed
		c.timer = c.clock.AfterFunc(c.every-now.Sub(c.last), func() { c.flush(armed) })
	}
	return len(p), nil
}

// sendWith sends what is held and p at once, under the caller's deadline.
func (c *Conn) sendWith(p []byte) (int, error) {
	c.stopTimer()
	c.last = c.clock.Now()
	bufs := net.Buffers{c.held, p}
	n, err := bufs.WriteTo(c.Conn)
	held := int64(len(c.held))
	c.held = c.held[:0]
	if err != nil {
		return int(max(0, n-held)), err
	}
	return len(p), nil
}

// flush sends what is held when the interval of the timer armed as
// number armed is over, unless that timer was stopped meanwhile.
func (c *Conn) flush(armed uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if armed != c.armed || c.timer == nil {
		return
	}
	c.timer = nil
	if !c.closed {
		c.sendHeld(c.timeout)
	}
}

// sendHeld sends what is held within timeout; a failure is kept for the
// next Write and closes the wrapped connection.
func (c *Conn) sendHeld(timeout time.Duration) {
	if len(c.held) == 0 || c.err != nil {
		return
	}
	c.last = c.clock.Now()
	err := c.Conn.SetWriteDeadline(time.Now().Add(timeout))
	if err == nil {
		_, err = c.Conn.Write(c.held)
	}
	c.held = c.held[:0]
	if err == nil {
		err = c.Conn.SetWriteDeadline(c.deadline)
	}
	if err != nil {
		c.err = err
		c.Conn.Close()
	}
}

func (c *Conn) stopTimer() {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
		c.armed++
	}
}

// closeTimeout bounds the sending of held writes on Close: a peer that
// stopped reading must not hold up a client closing a broken connection.
const closeTimeout = time.Second

// Close sends what is held, then closes the wrapped connection.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	c.stopTimer()
	if c.sendHeld(min(c.timeout, closeTimeout)); c.err != nil {
		return c.err // the wrapped connection is closed already
	}
	return c.Conn.Close()
}

// SetWriteDeadline sets the deadline of writes made at once.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline sets the read deadline, and the deadline of writes made at
// once.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

var _ net.Conn = (*Conn)(nil)
