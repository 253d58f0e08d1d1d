package stream_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/tlbridge/tlbridge/internal/testnet"
)

func TestMain(m *testing.M) { testnet.Main(m) }

// verifyNoLeaks checks, after the test and its cleanups, that no goroutine
// started during the test is still running.
func verifyNoLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		testnet.CloseIdle()
		if err := goleak.Find(opt); err != nil {
			t.Errorf("leaked goroutines: %v", err)
		}
	})
}
