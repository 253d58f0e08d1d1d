package main

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
	}{
		{"plain", "4242 (tlbridge) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 12 0 99 0 0", 3250 * time.Millisecond},
		{"name with spaces and parens", "7 (a b) c)) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0", 30 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("parseStatCPU(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "12 tlbridge S 1", "1 (x) S 1 2 3", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 x 2 0"} {
		if _, err := parseStatCPU(bad); !errors.Is(err, errProcFormat) {
			t.Errorf("parseStatCPU(%q) error = %v; want errProcFormat", bad, err)
		}
	}
}

func TestParseStatusBytes(t *testing.T) {
	status := "Name:\ttlbridge\nVmPeak:\t 1300000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t12\n"
	for _, tt := range []struct {
		key  string
		want int64
	}{{"VmHWM", 50 << 20}, {"VmRSS", 40 << 20}} {
		if got, err := parseStatusBytes(status, tt.key); err != nil || got != tt.want {
			t.Errorf("parseStatusBytes(%s) = %d, %v; want %d", tt.key, got, err, tt.want)
		}
	}
	for _, key := range []string{"VmSwap", "Threads", "Name"} {
		if _, err := parseStatusBytes(status, key); !errors.Is(err, errProcFormat) {
			t.Errorf("parseStatusBytes(%s) error = %v; want errProcFormat", key, err)
		}
	}
}

func TestParseIOCalls(t *testing.T) {
	io := "rchar: 8261\nwchar: 1207\nsyscr: 19\nsyscw: 7\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n"
	if r, w, err := parseIOCalls(io); r != 19 || w != 7 || err != nil {
		t.Errorf("parseIOCalls = %d, %d, %v; want 19, 7, nil", r, w, err)
	}
	for _, bad := range []string{"rchar: 1\n", "syscr: 1\n", "syscr: x\nsyscw: 2\n", "syscr: 1\nsyscw: -2\n"} {
		if _, _, err := parseIOCalls(bad); !errors.Is(err, errProcFormat) {
			t.Errorf("parseIOCalls(%q) error = %v; want errProcFormat", bad, err)
		}
	}
}

// TestReadProcSelf reads this test process, which has used some CPU and
// memory, through the same files as the bridge's.
func TestReadProcSelf(t *testing.T) {
	s, err := readProc(os.Getpid())
	if err != nil {
		t.Fatalf("readProc(self) error: %v", err)
	}
	if s.RSS <= 0 || s.PeakRSS < s.RSS {
		t.Errorf("readProc(self) = %+v; want 0 < RSS ≤ PeakRSS", s)
	}
}

func TestParseLoadAvg(t *testing.T) {
	if got, err := parseLoadAvg("10.29 11.49 8.96 3/412 2211\n"); err != nil || got != 10.29 {
		t.Errorf("parseLoadAvg = %v, %v; want 10.29", got, err)
	}
	for _, bad := range []string{"", "x 1 2"} {
		if _, err := parseLoadAvg(bad); !errors.Is(err, errProcFormat) {
			t.Errorf("parseLoadAvg(%q) error = %v; want errProcFormat", bad, err)
		}
	}
}

// TestCleanEnv: a child gets this process's environment without the
// bridge's settings, and with the variables it is given instead of
// inherited ones, so SSL_CERT_FILE names the load source's certificate.
func TestCleanEnv(t *testing.T) {
	t.Setenv("TLBRIDGE_API_BASE", "https://api2.transloadit.com")
	t.Setenv("SSL_CERT_FILE", "inherited.pem")
	t.Setenv("BENCH_TEST_KEPT", "1")
	env := cleanEnv([]string{"SSL_CERT_FILE=load-source.pem"})
	for _, kv := range env {
		if strings.HasPrefix(kv, "TLBRIDGE_") || strings.HasPrefix(kv, "SSL_CERT_FILE=") {
			t.Errorf("cleanEnv kept %q", kv)
		}
	}
	if !slices.Contains(env, "BENCH_TEST_KEPT=1") {
		t.Errorf("cleanEnv dropped BENCH_TEST_KEPT")
	}
}
