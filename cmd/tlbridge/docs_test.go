package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every configuration variable is documented in the README and settable
// through the Helm chart: the three lists are one contract.
func TestEveryVariableDocumentedAndInTheChart(t *testing.T) {
	readme := readFile(t, "../../README.md")
	chart := readFile(t, "../../helm/tlbridge/values.yaml")
	templates, err := filepath.Glob("../../helm/tlbridge/templates/*.*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range templates {
		chart += readFile(t, f)
	}
	for _, name := range documentedVars {
		if !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("README's configuration table lacks %s", name)
		}
		if !strings.Contains(chart, envPrefix+"_"+name) {
			t.Errorf("the Helm chart cannot set %s_%s", envPrefix, name)
		}
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
