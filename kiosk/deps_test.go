package kiosk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// forbidden are the imports the appliance core must never reach, directly
// or through another package, each with where that code belongs instead.
var forbidden = []rule{
	{"fyne.io", "the touchscreen belongs in ui/"},
	{"net/http", "talking to the registry belongs in sync/"},
	{"periph.io/x/host", "GPIO belongs in drivers/gpio"},
	{"github.com/tarm/serial", "serial ports belong in drivers/serialport"},
	{"guichet/ui", "kiosk/ computes view-models; ui/ depends on kiosk/, not the reverse"},
	{"guichet/drivers", "drivers/ depend on kiosk/ interfaces, not the reverse"},
	{"guichet/sync", "sync/ depends on kiosk/, not the reverse"},
}

// platforms are the builds checked: the development host and the kiosk
// board. Build tags can change a package's imports per platform.
var platforms = []string{"linux/amd64", "linux/arm64"}

// rule forbids a package path and everything under it.
type rule struct {
	prefix string
	why    string
}

func (r rule) matches(path string) bool {
	return path == r.prefix || strings.HasPrefix(path, r.prefix+"/")
}

// listedPackage is the part of `go list -json` output the check reads.
type listedPackage struct {
	ImportPath string
	DepOnly    bool // a dependency, not one of the packages asked about
	Imports    []string
	Error      *struct{ Err string }
}

// violations returns, for every forbidden package in pkgs, a line naming
// the rule and the shortest import chain that reaches it from one of the
// packages asked about (those not DepOnly). A forbidden package reached only
// through another one (net/http/httptrace through net/http) is left out:
// the first on the chain is the one to remove. Lines are sorted.
func violations(pkgs []listedPackage, rules []rule) []string {
	imports := make(map[string][]string, len(pkgs))
	var roots []string
	for _, p := range pkgs {
		imports[p.ImportPath] = p.Imports
		if !p.DepOnly {
			roots = append(roots, p.ImportPath)
		}
	}
	slices.Sort(roots)
	// Breadth-first from all roots at once: prev gives the shortest chain.
	prev := map[string]string{}
	queue := []string{}
	for _, r := range roots {
		prev[r] = ""
		queue = append(queue, r)
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		next := slices.Clone(imports[p])
		slices.Sort(next)
		for _, q := range next {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	match := func(path string) (rule, bool) {
		for _, r := range rules {
			if r.matches(path) {
				return r, true
			}
		}
		return rule{}, false
	}
	var out []string
outer:
	for path := range prev {
		r, ok := match(path)
		if !ok {
			continue
		}
		chain := []string{path}
		for at := prev[path]; at != ""; at = prev[at] {
			if _, bad := match(at); bad {
				continue outer
			}
			chain = append([]string{at}, chain...)
		}
		out = append(out, fmt.Sprintf("%s is forbidden (%s): %s", path, r.why, strings.Join(chain, " → ")))
	}
	slices.Sort(out)
	return out
}

// goList runs `go list -e -deps -json ./...` in this directory for one
// platform and decodes the stream of packages.
func goList(t *testing.T, platform string) []listedPackage {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	goos, goarch, _ := strings.Cut(platform, "/")
	cmd := exec.Command(goBin, "list", "-e", "-deps", "-json=ImportPath,DepOnly,Imports,Error", "./...")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=1", "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, stderr.Bytes())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestDependencies is the rule of DESIGN.md: kiosk/ imports no Fyne, no
// net/http, no hardware library and nothing of ui/, drivers/ or sync/. It
// checks what the packages build with, not their tests.
func TestDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, platform := range platforms {
		t.Run(strings.ReplaceAll(platform, "/", "_"), func(t *testing.T) {
			pkgs := goList(t, platform)
			roots := 0
			for _, p := range pkgs {
				if !p.DepOnly {
					roots++
				}
				if p.Error != nil && !p.DepOnly {
					// Another package being written may not build yet; its
					// imports are still listed as far as go list got.
					t.Logf("go list: %s: %s", p.ImportPath, p.Error.Err)
				}
			}
			if roots == 0 {
				t.Fatalf("go list found no package under kiosk/")
			}
			for _, v := range violations(pkgs, forbidden) {
				t.Error(v)
			}
		})
	}
}

// TestViolations makes sure the check can fail: a made-up dependency list
// with forbidden imports, direct and indirect.
func TestViolations(t *testing.T) {
	pkgs := []listedPackage{
		{ImportPath: "guichet/kiosk/store", Imports: []string{"go.etcd.io/bbolt", "sync"}},
		{ImportPath: "guichet/kiosk/session", Imports: []string{"guichet/kiosk/clock", "guichet/ui/theme"}},
		{ImportPath: "guichet/kiosk/clock", Imports: []string{"time"}},
		{ImportPath: "guichet/kiosk/update", Imports: []string{"guichet/kiosk/clock", "guichet/kiosk/fetch"}},
		{ImportPath: "guichet/kiosk/fetch", Imports: []string{"net/http/httptrace"}},
		{ImportPath: "guichet/kiosk/form", Imports: []string{"fyne.io/fyne/v2/widget"}},
		{ImportPath: "fyne.io/fyne/v2/widget", DepOnly: true, Imports: []string{"fyne.io/fyne/v2"}},
		{ImportPath: "guichet/kiosk/pack", Imports: []string{"guichet/kiosk/clock", "guichet/syncutil", "fyne.iox/lookalike"}},
		{ImportPath: "go.etcd.io/bbolt", DepOnly: true, Imports: []string{"golang.org/x/sys/unix"}},
		{ImportPath: "golang.org/x/sys/unix", DepOnly: true},
		{ImportPath: "guichet/ui/theme", DepOnly: true, Imports: []string{"fyne.io/fyne/v2"}},
		{ImportPath: "fyne.io/fyne/v2", DepOnly: true, Imports: []string{"net/http"}},
		{ImportPath: "net/http", DepOnly: true, Imports: []string{"net/http/httptrace"}},
		{ImportPath: "net/http/httptrace", DepOnly: true},
		{ImportPath: "guichet/syncutil", DepOnly: true, Imports: []string{"periph.io/x/host/v3/rpi"}},
		{ImportPath: "periph.io/x/host/v3/rpi", DepOnly: true},
		{ImportPath: "sync", DepOnly: true},
		{ImportPath: "time", DepOnly: true},
		{ImportPath: "fyne.iox/lookalike", DepOnly: true},
	}
	want := []string{
		"fyne.io/fyne/v2/widget is forbidden (the touchscreen belongs in ui/): guichet/kiosk/form → fyne.io/fyne/v2/widget",
		"guichet/ui/theme is forbidden (kiosk/ computes view-models; ui/ depends on kiosk/, not the reverse): guichet/kiosk/session → guichet/ui/theme",
		"net/http/httptrace is forbidden (talking to the registry belongs in sync/): guichet/kiosk/fetch → net/http/httptrace",
		"periph.io/x/host/v3/rpi is forbidden (GPIO belongs in drivers/gpio): guichet/kiosk/pack → guichet/syncutil → periph.io/x/host/v3/rpi",
	}
	if diff := cmp.Diff(want, violations(pkgs, forbidden)); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	clean := []listedPackage{
		{ImportPath: "guichet/kiosk/store", Imports: []string{"go.etcd.io/bbolt", "sync"}},
		{ImportPath: "go.etcd.io/bbolt", DepOnly: true},
		{ImportPath: "sync", DepOnly: true},
	}
	if got := violations(clean, forbidden); got != nil {
		t.Errorf("violations(clean) = %v, want none", got)
	}
}

func TestRuleMatches(t *testing.T) {
	tests := []struct {
		rule rule
		path string
		want bool
	}{
		{rule{prefix: "net/http"}, "net/http", true},
		{rule{prefix: "net/http"}, "net/http/httputil", true},
		{rule{prefix: "net/http"}, "net/httpx", false},
		{rule{prefix: "net/http"}, "vendor/golang.org/x/net/http/httpguts", false},
		{rule{prefix: "guichet/sync"}, "sync", false},
		{rule{prefix: "guichet/sync"}, "guichet/sync/wire", true},
		{rule{prefix: "guichet/sync"}, "guichet/syncutil", false},
		{rule{prefix: "periph.io/x/host"}, "periph.io/x/host/v3", true},
		{rule{prefix: "periph.io/x/host"}, "periph.io/x/conn/v3/gpio", false},
	}
	for _, tt := range tests {
		if got := tt.rule.matches(tt.path); got != tt.want {
			t.Errorf("rule %q matches(%q) = %v, want %v", tt.rule.prefix, tt.path, got, tt.want)
		}
	}
}
