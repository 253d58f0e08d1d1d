package retry

import "time"

// Clock is a source of time: waits and timestamps go through it, so tests
// can drive time (see retrytest.Clock).
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that fires once after d.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine after d, unless the timer
	// it returns is stopped first; that timer's C is nil. A wait that is
	// a callback costs no goroutine while it waits.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is the part of *time.Timer a Clock's user needs.
type Timer interface {
	// C returns the channel the timer fires on.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it did.
	Stop() bool
}

var (
	_ Clock = realClock{}
	_ Timer = realTimer{}
)

// SystemClock returns the Clock of real time, the one a nil Clock means.
func SystemClock() Clock { return realClock{} }

// Since returns the time elapsed on c since t.
func Since(c Clock, t time.Time) time.Duration { return c.Now().Sub(t) }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

func (realClock) AfterFunc(d time.Duration, f func()) Timer { return realTimer{time.AfterFunc(d, f)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }
