package main

import (
	"testing"

	"github.com/tlbridge/tlbridge/internal/testnet"
)

func TestMain(m *testing.M) { testnet.Main(m) }
