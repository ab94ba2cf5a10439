package bidi

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDependencies keeps the package pure, as both the receipt rasteriser
// and the touchscreen need it: no I/O, no Fyne, no font or shaping library,
// nothing outside the standard library but x/text's character properties.
func TestDependencies(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to list the package's imports")
		}
	}
	cmd := exec.Command(goTool, "list", "-json=ImportPath,Imports,Deps", ".")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkg struct {
		ImportPath    string
		Imports, Deps []string
	}
	if err := json.Unmarshal(out, &pkg); err != nil {
		t.Fatalf("go list output: %v", err)
	}
	allowed := map[string]bool{
		"fmt": true, "slices": true, "sort": true, "strconv": true, "strings": true,
		"golang.org/x/text/unicode/bidi": true,
	}
	for _, imp := range pkg.Imports {
		if !allowed[imp] {
			t.Errorf("%s imports %s: the package does no I/O and needs no more than %v", pkg.ImportPath, imp, allowed)
		}
	}
	for _, dep := range pkg.Deps {
		first, _, _ := strings.Cut(dep, "/")
		if strings.Contains(first, ".") && !strings.HasPrefix(dep, "golang.org/x/text/") {
			t.Errorf("%s depends on %s, outside the standard library and x/text", pkg.ImportPath, dep)
		}
	}
}
