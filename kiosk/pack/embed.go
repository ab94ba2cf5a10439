package pack

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed packs/*.json
var embedded embed.FS

// ErrNoPack is returned (wrapped) by Embedded for a code without an embedded pack.
var ErrNoPack = errors.New("pack: no such embedded pack")

// EmbeddedCodes lists the codes of the embedded packs, sorted.
func EmbeddedCodes() []string {
	entries, _ := fs.ReadDir(embedded, "packs") // the directory is embedded: no error
	var codes []string
	for _, e := range entries {
		if code, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	return codes
}

// EmbeddedData returns the JSON of an embedded pack, for a technician to copy
// and edit (guichetctl pack export).
func EmbeddedData(code string) ([]byte, error) {
	if !packCodeRe.MatchString(code) {
		return nil, fmt.Errorf("%w: %q (have %s)", ErrNoPack, code, strings.Join(EmbeddedCodes(), ", "))
	}
	data, err := embedded.ReadFile("packs/" + code + ".json")
	if err != nil {
		return nil, fmt.Errorf("%w: %q (have %s)", ErrNoPack, code, strings.Join(EmbeddedCodes(), ", "))
	}
	return data, nil
}

// Embedded loads an embedded pack. Each call returns a fresh copy the caller
// may keep.
func Embedded(code string) (*Pack, error) {
	data, err := EmbeddedData(code)
	if err != nil {
		return nil, err
	}
	p, err := Load(code+".json", data)
	if err != nil {
		return nil, err
	}
	if p.Code != code {
		return nil, fmt.Errorf("pack: %s.json: code: the pack says %q", code, p.Code)
	}
	return p, nil
}
