package main

import (
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	var samples []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		samples = append(samples, time.Duration(i)*time.Millisecond)
	}
	d := newDistribution(samples)
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{
		{0, 1 * time.Millisecond},
		{0.5, 50 * time.Millisecond},
		{0.9, 90 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{0.991, 100 * time.Millisecond},
		{1, 100 * time.Millisecond},
	} {
		if got := d.quantile(tt.q); got != tt.want {
			t.Errorf("quantile(%v) = %v; want %v", tt.q, got, tt.want)
		}
	}
	if samples[0] != 100*time.Millisecond {
		t.Errorf("newDistribution sorted its input in place")
	}
}

func TestQuantileSmall(t *testing.T) {
	if got := newDistribution(nil).quantile(0.5); got != 0 {
		t.Errorf("empty quantile(0.5) = %v; want 0", got)
	}
	one := newDistribution([]time.Duration{7})
	for _, q := range []float64{0, 0.5, 0.99, 1} {
		if got := one.quantile(q); got != 7 {
			t.Errorf("single quantile(%v) = %v; want 7", q, got)
		}
	}
}
