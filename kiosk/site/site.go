// Package site records where a kiosk stands: its country pack and the court
// whose lobby it is in, as `guichetctl provision` set them from the kiosk's
// enrolment. The kiosk (cmd/guichet) reads the file to default its -pack
// and -court, so that a provisioned kiosk needs neither flag.
//
// The file is File in the kiosk's data directory, JSON:
//
//	{"country_pack": "ma", "pack_version": 3, "court": "tpi-casablanca",
//	 "kiosk_id": "ma-casa-20", "set_at": "2026-11-22T18:20:00Z"}
//
// It is written atomically (temporary file, fsync, rename, directory
// fsync), so a power cut leaves the old file or the new one. Limits: the
// court is checked against a pack by the caller (pack.Court), not here.
package site

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unicode"
)

// File is the site file's name in the kiosk's data directory.
const File = "site.json"

// maxSize bounds the file.
const maxSize = 4 << 10

// Site is where the kiosk stands.
type Site struct {
	CountryPack string    `json:"country_pack"`           // "ma", "tg"
	PackVersion int       `json:"pack_version,omitempty"` // the version operations enrolled it with; 0 unknown
	Court       string    `json:"court"`                  // the pack id of the court
	KioskID     string    `json:"kiosk_id,omitempty"`
	SetAt       time.Time `json:"set_at"`
}

// Validate checks the fields' shapes.
func (s Site) Validate() error {
	if len(s.CountryPack) != 2 || !lowerASCII(s.CountryPack) {
		return fmt.Errorf("site: country pack %q is not a two-letter lower-case code", s.CountryPack)
	}
	if s.PackVersion < 0 {
		return fmt.Errorf("site: pack version %d", s.PackVersion)
	}
	if err := checkID("court", s.Court, true); err != nil {
		return err
	}
	return checkID("kiosk id", s.KioskID, false)
}

func lowerASCII(s string) bool {
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

func checkID(what, v string, required bool) error {
	if v == "" && !required {
		return nil
	}
	if v == "" || len(v) > 128 {
		return fmt.Errorf("site: %s must be 1 to 128 characters", what)
	}
	for _, r := range v {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("site: %s %q: only ASCII letters, digits, '-', '_' and '.'", what, v)
		}
	}
	return nil
}

// Parse reads a site file's bytes.
func Parse(b []byte) (Site, error) {
	if len(b) > maxSize {
		return Site{}, fmt.Errorf("site: %d bytes, limit %d", len(b), maxSize)
	}
	var s Site
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Site{}, fmt.Errorf("site: %w", err)
	}
	if dec.More() {
		return Site{}, errors.New("site: data after the JSON object")
	}
	return s, s.Validate()
}

// Read reads dir's site file. A kiosk never provisioned gets an error
// wrapping fs.ErrNotExist.
func Read(dir string) (Site, error) {
	path := filepath.Join(dir, File)
	b, err := os.ReadFile(path)
	if err != nil {
		return Site{}, fmt.Errorf("site: %w", err)
	}
	s, err := Parse(b)
	if err != nil {
		return Site{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return s, nil
}

// Write writes dir's site file atomically.
func Write(dir string, s Site) error {
	if err := s.Validate(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	path := filepath.Join(dir, File)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("site: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	return nil
}
