package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// Linux fixes it at 100 on every architecture it exposes to user space.
const clockTicks = 100

// procSample is what /proc tells about a process at one moment.
type procSample struct {
	CPU     time.Duration // user + system time since the process started
	RSS     int64         // resident set, bytes (VmRSS)
	PeakRSS int64         // high-water mark of the resident set, bytes (VmHWM)
	// Reads and Writes count the read and write system calls since the
	// process started (syscr, syscw); -1 where /proc/<pid>/io is not
	// readable (a kernel without task I/O accounting).
	Reads, Writes int64
}

func readProc(pid int) (procSample, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procSample{}, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procSample{}, err
	}
	var s procSample
	if s.CPU, err = parseStatCPU(string(stat)); err != nil {
		return s, err
	}
	if s.RSS, err = parseStatusBytes(string(status), "VmRSS"); err != nil {
		return s, err
	}
	if s.PeakRSS, err = parseStatusBytes(string(status), "VmHWM"); err != nil {
		return s, err
	}
	s.Reads, s.Writes = -1, -1
	if text, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid)); err == nil {
		s.Reads, s.Writes, err = parseIOCalls(string(text))
		return s, err
	}
	return s, nil
}

// parseIOCalls returns the syscr and syscw counts of /proc/<pid>/io.
func parseIOCalls(text string) (reads, writes int64, err error) {
	reads, writes = -1, -1
	for line := range strings.Lines(text) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		n, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch {
		case k != "syscr" && k != "syscw":
			continue
		case perr != nil || n < 0:
			return -1, -1, fmt.Errorf("%w: io: %q", errProcFormat, line)
		case k == "syscr":
			reads = n
		default:
			writes = n
		}
	}
	if reads < 0 || writes < 0 {
		return -1, -1, fmt.Errorf("%w: io: no syscr or syscw", errProcFormat)
	}
	return reads, writes, nil
}

// parseStatCPU returns utime + stime from the text of /proc/<pid>/stat.
// The command name (field 2) is in parentheses and may itself hold spaces
// and parentheses, so fields are counted after its last ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: no command name", errProcFormat)
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%w: %d fields", errProcFormat, len(f)+2)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%w: cpu time %q", errProcFormat, s)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// parseStatusBytes returns a "<key>: <n> kB" line of /proc/<pid>/status
// in bytes.
func parseStatusBytes(status, key string) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(status))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != key {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%w: %s: %q", errProcFormat, key, v)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %s: %q", errProcFormat, key, v)
		}
		return n << 10, nil
	}
	return 0, fmt.Errorf("%w: no %s", errProcFormat, key)
}

// readLoadAvg returns the one-minute load average of the machine.
func readLoadAvg() (float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, err
	}
	return parseLoadAvg(string(b))
}

func parseLoadAvg(s string) (float64, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0, fmt.Errorf("%w: loadavg %q", errProcFormat, s)
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, fmt.Errorf("%w: loadavg %q", errProcFormat, s)
	}
	return v, nil
}
