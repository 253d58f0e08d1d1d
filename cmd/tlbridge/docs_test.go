package main

import (
	"os"
	"path/filepath"
	"regexp"
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

// The image's data directory is the binary's default there: the
// Dockerfile creates it for the non-root user and points
// TLBRIDGE_DATA_DIR at it, and the chart mounts its volume at the same
// place.
func TestImageDataDirIsTheDefault(t *testing.T) {
	dockerfile := readFile(t, "../../Dockerfile")
	m := regexp.MustCompile(`(?m)^ENV ` + envPrefix + `_DATA_DIR=(\S+)$`).FindStringSubmatch(dockerfile)
	if m == nil {
		t.Fatal("the Dockerfile sets no " + envPrefix + "_DATA_DIR")
	}
	dir := m[1]
	if !regexp.MustCompile(`(?m)^COPY .*--chown=65532:65532 \S+ ` + regexp.QuoteMeta(dir) + `$`).MatchString(dockerfile) {
		t.Errorf("the Dockerfile does not create %s for the non-root user", dir)
	}
	if values := readFile(t, "../../helm/tlbridge/values.yaml"); !strings.Contains(values, "dataDir: "+dir) {
		t.Errorf("the chart's config.dataDir is not %s", dir)
	}
}
