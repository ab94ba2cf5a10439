package site

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var parseTests = []struct {
	name string
	in   string
	want Site
	err  string
}{
	{"whole", `{"country_pack":"ma","pack_version":3,"court":"tpi-casablanca","kiosk_id":"ma-casa-20","set_at":"2026-11-22T18:20:00Z"}`,
		Site{CountryPack: "ma", PackVersion: 3, Court: "tpi-casablanca", KioskID: "ma-casa-20", SetAt: time.Date(2026, 11, 22, 18, 20, 0, 0, time.UTC)}, ""},
	{"minimal", `{"country_pack":"tg","court":"tpi-lome","set_at":"2026-01-02T00:00:00Z"}`,
		Site{CountryPack: "tg", Court: "tpi-lome", SetAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}, ""},
	{"upper-case pack", `{"country_pack":"MA","court":"x","set_at":"2026-01-02T00:00:00Z"}`, Site{}, "two-letter"},
	{"no court", `{"country_pack":"ma","set_at":"2026-01-02T00:00:00Z"}`, Site{}, "court must be"},
	{"court with a slash", `{"country_pack":"ma","court":"../x","set_at":"2026-01-02T00:00:00Z"}`, Site{}, "only ASCII"},
	{"unknown field", `{"country_pack":"ma","court":"x","pin":"1234","set_at":"2026-01-02T00:00:00Z"}`, Site{}, "unknown field"},
	{"negative version", `{"country_pack":"ma","pack_version":-1,"court":"x","set_at":"2026-01-02T00:00:00Z"}`, Site{}, "pack version"},
	{"two objects", `{"country_pack":"ma","court":"x","set_at":"2026-01-02T00:00:00Z"}{}`, Site{}, "data after"},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("Parse(%s) = %v, want an error containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%s) = %v", tt.in, err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Parse (-want +got):\n%s", d)
			}
		})
	}
}

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(never provisioned) = %v, want fs.ErrNotExist", err)
	}
	s := Site{CountryPack: "ma", PackVersion: 1, Court: "tpi-casablanca", KioskID: "ma-casa-20", SetAt: time.Date(2026, 11, 22, 18, 20, 0, 0, time.UTC)}
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	s.Court = "tpi-rabat"
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(s, got); d != "" {
		t.Errorf("Read(Write(s)) (-want +got):\n%s", d)
	}
	if err := Write(dir, Site{CountryPack: "m", Court: "x"}); err == nil {
		t.Error("Write of a one-letter pack code succeeded")
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Parse accepted %+v, which Validate refuses: %v", s, err)
		}
	})
}
