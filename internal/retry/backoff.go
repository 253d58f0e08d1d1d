package retry

import (
	"math/rand/v2"
	"time"
)

// Backoff is the jittered exponential wait between attempts: after the
// n-th (from 0) consecutive failure the step is Min doubled n times,
// capped at Max, and the wait is drawn from the step's upper half ("equal
// jitter"). Half fixed keeps a failing peer from being hammered; half
// random keeps clients cut off together from returning together. There is
// no cap on attempts or total time: the caller decides when to stop.
type Backoff struct {
	// Min is the first step; Max caps every step.
	Min, Max time.Duration
	// Rand returns a number uniform in [0, 1). If nil, math/rand/v2's
	// Float64; tests set it to pin the jitter.
	Rand func() float64
}

// Delay returns the wait after the n-th (from 0) consecutive failure.
func (b Backoff) Delay(n int) time.Duration {
	d := b.Min
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	r := rand.Float64
	if b.Rand != nil {
		r = b.Rand
	}
	half := d / 2
	return half + time.Duration(r()*float64(d-half))
}
