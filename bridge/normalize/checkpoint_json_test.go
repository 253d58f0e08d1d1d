package normalize_test

import (
	"math/rand/v2"
	"testing"

	"github.com/tlbridge/tlbridge/bridge/normalize"
	"github.com/tlbridge/tlbridge/internal/jsonenc/jsonenctest"
)

// TestCheckpointAppendJSON: AppendJSON writes what encoding/json writes,
// byte for byte, for checkpoints with every field filled at random, so a
// field added to Checkpoint and not to AppendJSON fails here.
func TestCheckpointAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		var c normalize.Checkpoint
		jsonenctest.Fill(&c, r)
		got, err := c.AppendJSON([]byte("prefix"))
		if want := "prefix" + jsonenctest.Stdlib(t, &c); err != nil || string(got) != want {
			t.Fatalf("case %d: AppendJSON =\n%s, %v\nwant\n%s", i, got, err, want)
		}
	}
}
