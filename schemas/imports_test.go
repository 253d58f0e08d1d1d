package schemas_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// module is the import path prefix of this module's packages.
const module = "github.com/tlbridge/tlbridge/"

// TestRuntimeImportsStdlibOnly: consumers import this package; it must not
// pull in the CloudEvents SDK, the schema validator or anything else. A
// package of this module it imports is held to the same rule.
func TestRuntimeImportsStdlibOnly(t *testing.T) {
	checkStdlibOnly(t, ".", make(map[string]bool))
}

// checkStdlibOnly checks the package in dir, a path relative to this
// package's directory.
func checkStdlibOnly(t *testing.T, dir string, seen map[string]bool) {
	t.Helper()
	if seen[dir] {
		return
	}
	seen[dir] = true
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if rel, ok := strings.CutPrefix(path, module); ok {
				checkStdlibOnly(t, filepath.Join("..", filepath.FromSlash(rel)), seen)
				continue
			}
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s; the runtime package must use the standard library only", name, path)
			}
		}
	}
}
