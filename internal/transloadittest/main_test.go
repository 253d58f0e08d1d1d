package transloadittest_test

import (
	"testing"

	"github.com/tlbridge/tlbridge/internal/testnet"
)

// Tests must never reach anything but the simulator on loopback.
func TestMain(m *testing.M) { testnet.Main(m) }
