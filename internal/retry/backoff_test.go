package retry_test

import (
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
)

func TestBackoffDelay(t *testing.T) {
	const lo, hi = 100 * time.Millisecond, time.Second
	for _, tt := range []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{0, 0, 50 * time.Millisecond},
		{0, 0.5, 75 * time.Millisecond},
		{1, 0, 100 * time.Millisecond},
		{3, 0, 400 * time.Millisecond},
		{4, 0, 500 * time.Millisecond}, // 1.6s capped at 1s
		{4, 0.999, 999500 * time.Microsecond},
		{1 << 30, 0, 500 * time.Millisecond}, // no overflow
	} {
		b := retry.Backoff{Min: lo, Max: hi, Rand: func() float64 { return tt.r }}
		if got := b.Delay(tt.n); got != tt.want {
			t.Errorf("Delay(%d) with rand %v = %v; want %v", tt.n, tt.r, got, tt.want)
		}
	}
}

// The default jitter stays in the step's upper half.
func TestBackoffDefaultRand(t *testing.T) {
	b := retry.Backoff{Min: time.Second, Max: 8 * time.Second}
	for n := range 6 {
		step := min(time.Second<<n, 8*time.Second)
		for range 50 {
			if d := b.Delay(n); d < step/2 || d >= step {
				t.Fatalf("Delay(%d) = %v; want in [%v, %v)", n, d, step/2, step)
			}
		}
	}
}

func TestBackoffZero(t *testing.T) {
	if d := (retry.Backoff{}).Delay(3); d != 0 {
		t.Errorf("zero Backoff Delay = %v; want 0", d)
	}
}
