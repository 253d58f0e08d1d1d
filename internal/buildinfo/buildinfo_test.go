package buildinfo

import (
	"strings"
	"testing"
)

func TestUserAgent(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "9.8.7"
	got := UserAgent()
	if !strings.HasPrefix(got, "tlbridge/9.8.7 (go") || !strings.HasSuffix(got, ")") {
		t.Errorf("UserAgent() = %q; want tlbridge/9.8.7 (go...)", got)
	}
}
