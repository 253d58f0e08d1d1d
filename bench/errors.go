package main

import (
	"errors"
	"fmt"
)

var (
	// errUsage is a bad flag value or combination.
	errUsage = errors.New("usage")
	// errProcFormat is a /proc file this program cannot read.
	errProcFormat = errors.New("unexpected /proc format")
	// errMetricsFormat is a /metrics page without the expected gauge, or
	// with a value that is not a number.
	errMetricsFormat = errors.New("unexpected metrics format")
	// errNoGauge is a /metrics page without the gauge asked for: a
	// reference process has none of the bridge's own.
	errNoGauge = fmt.Errorf("%w: no such gauge", errMetricsFormat)
	// errNotReady is a target that did not become ready in time.
	errNotReady = errors.New("target not ready")
	// errFrameTooLarge is an update-stream frame over maxFrame.
	errFrameTooLarge = errors.New("frame too large")
)
