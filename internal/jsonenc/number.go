package jsonenc

import (
	"errors"
	"math"
	"strconv"
	"time"
)

// ErrUnsupportedFloat is the error of AppendFloat for NaN and ±Inf, which
// JSON cannot hold.
var ErrUnsupportedFloat = errors.New("jsonenc: unsupported float value")

// AppendFloat appends f as encoding/json does: like ES6, with exponents
// only for very small or large values, and an error for NaN and ±Inf.
func AppendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, ErrUnsupportedFloat
	}
	abs := math.Abs(f)
	fmt := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmt = 'e'
	}
	b = strconv.AppendFloat(b, f, fmt, -1, 64)
	if fmt == 'e' {
		// e-09 becomes e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// AppendTime appends t as time.Time.MarshalJSON does, and fails where it
// fails (a year outside 0–9999).
func AppendTime(b []byte, t time.Time) ([]byte, error) {
	b, err := t.AppendText(append(b, '"'))
	return append(b, '"'), err
}
