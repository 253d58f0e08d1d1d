package dialguard_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks for leaked goroutines. These tests dial nothing but
// loopback, through the fake DNS server and listeners they start.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
