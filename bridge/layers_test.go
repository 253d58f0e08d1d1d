package bridge_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The packages under bridge stay layered: the normalizer is pure (no NATS,
// nothing of the watch core or of publishing), and publishing knows
// nothing of the watch core. Dependencies are checked direct and indirect.
func TestLayers(t *testing.T) {
	const mod = "github.com/tlbridge/tlbridge/"
	tests := []struct {
		pkg      string
		prefixes []string // no dependency may start with one of these
		exact    []string // nor be one of these
	}{
		{"./normalize", []string{"github.com/nats-io/"}, []string{mod + "bridge", mod + "bridge/publish"}},
		{"./publish", nil, []string{mod + "bridge", mod + "bridge/normalize"}},
	}
	for _, tt := range tests {
		out, err := exec.Command("go", "list", "-deps", tt.pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", tt.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, p := range tt.prefixes {
				if strings.HasPrefix(dep, p) {
					t.Errorf("%s depends on %s", tt.pkg, dep)
				}
			}
			for _, x := range tt.exact {
				if dep == x {
					t.Errorf("%s depends on %s", tt.pkg, dep)
				}
			}
		}
	}
}
