package retry_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tlbridge/tlbridge/internal/retry"
)

func TestStatusError(t *testing.T) {
	errA, errB := errors.New("a"), errors.New("b")
	e := &retry.StatusError{Op: "poll", Code: 429, TransloaditCode: "RATE_LIMIT_REACHED", Message: "slow down", Sentinels: []error{errA}}
	if got, want := e.Error(), "poll: HTTP 429 Too Many Requests: RATE_LIMIT_REACHED: slow down"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	wrapped := fmt.Errorf("giving up: %w", e)
	if !errors.Is(wrapped, errA) || errors.Is(wrapped, errB) {
		t.Errorf("errors.Is: a %v, b %v; want true, false", errors.Is(wrapped, errA), errors.Is(wrapped, errB))
	}
	var se *retry.StatusError
	if !errors.As(wrapped, &se) || se.Code != 429 {
		t.Errorf("errors.As = %v; want the *StatusError", se)
	}
	if got := (&retry.StatusError{Code: 599}).Error(); got != "HTTP 599" {
		t.Errorf("bare Error() = %q; want %q", got, "HTTP 599")
	}
}
