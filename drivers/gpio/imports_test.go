package gpio

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyImporterOfPeriphHost keeps the house rule: GPIO hardware access
// goes through this package, so no other package of the module imports
// periph.io's host drivers directly.
func TestOnlyImporterOfPeriphHost(t *testing.T) {
	out, err := exec.Command("go", "list", "-e", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "guichet/...").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 5 {
		t.Fatalf("go list gave %d packages, want the whole module", len(lines))
	}
	for _, line := range lines {
		pkg, imports, _ := strings.Cut(line, " ")
		if pkg == "guichet/drivers/gpio" {
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if imp == "periph.io/x/host/v3" || strings.HasPrefix(imp, "periph.io/x/host/") {
				t.Errorf("%s imports %s: GPIO access belongs in guichet/drivers/gpio", pkg, imp)
			}
		}
	}
}
