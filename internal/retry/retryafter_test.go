package retry_test

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/tlbridge/tlbridge/internal/retry"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, tt := range []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 3 ", 3 * time.Second},
		{"0.25", 250 * time.Millisecond},
		{"1.5", 1500 * time.Millisecond},
		{"0", 0},
		{"-5", 0},
		{"NaN", 0},
		{"Inf", retry.MaxRetryAfter},
		{"1e300", retry.MaxRetryAfter},
		{"86400000", retry.MaxRetryAfter},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Add(1000 * time.Hour).Format(http.TimeFormat), retry.MaxRetryAfter},
		{"Wed, 04 Mar 2026 05:06:17 GMT", 10 * time.Second},
	} {
		if got := retry.ParseRetryAfter(tt.header, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v; want %v", tt.header, got, tt.want)
		}
	}
}

func TestSeconds(t *testing.T) {
	for _, tt := range []struct {
		s    float64
		want time.Duration
	}{
		{0.01, 10 * time.Millisecond},
		{2, 2 * time.Second},
		{-1, 0},
		{math.NaN(), 0},
		{math.Inf(-1), 0},
		{math.Inf(1), retry.MaxRetryAfter},
		{1e18, retry.MaxRetryAfter},
	} {
		if got := retry.Seconds(tt.s); got != tt.want {
			t.Errorf("Seconds(%v) = %v; want %v", tt.s, got, tt.want)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"1", "0.5", "-1", "NaN", "Wed, 21 Oct 2015 07:28:00 GMT", "9e99"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if d := retry.ParseRetryAfter(s, now); d < 0 || d > retry.MaxRetryAfter {
			t.Fatalf("ParseRetryAfter(%q) = %v; want in [0, %v]", s, d, retry.MaxRetryAfter)
		}
	})
}
