package main

import (
	"math"
	"slices"
	"time"
)

// distribution is a sorted set of latency samples.
type distribution []time.Duration

func newDistribution(samples []time.Duration) distribution {
	d := slices.Clone(samples)
	slices.Sort(d)
	return d
}

// quantile returns the q-quantile (0 ≤ q ≤ 1) by the nearest-rank method,
// so every figure is a latency that was actually observed; 0 when empty.
func (d distribution) quantile(q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(d))))
	return d[min(max(rank-1, 0), len(d)-1)]
}
