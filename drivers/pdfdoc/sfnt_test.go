package pdfdoc

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/go-text/typesetting/font"

	"guichet/drivers/fonts"
)

func TestWithCmap(t *testing.T) {
	for _, f := range fonts.All() {
		t.Run(f.Name, func(t *testing.T) {
			m := map[rune]uint16{'A': 38, 'B': 39, 'C': 40, 'ب': 41, 0xE000: 5, 0xE001: 7, 0xFFFE: 3, 0: 1}
			out, err := withCmap(f.Data, m)
			if err != nil {
				t.Fatalf("withCmap() error: %v", err)
			}
			if sum := checksum(out); sum != 0xB1B0AFBA {
				t.Errorf("whole-font checksum = %#x, want 0xB1B0AFBA", sum)
			}
			n := int(binary.BigEndian.Uint16(out[4:]))
			for i := 0; i < n; i++ {
				rec := out[12+16*i:]
				tag := string(rec[:4])
				data := tableData(out, tag)
				if tag == "head" {
					data = append([]byte(nil), data...)
					binary.BigEndian.PutUint32(data[8:], 0)
				}
				if got, want := binary.BigEndian.Uint32(rec[4:]), checksum(data); got != want {
					t.Errorf("table %q checksum = %#x, want %#x", tag, got, want)
				}
				if tag != "cmap" && !bytes.Equal(tableData(out, tag), tableData(f.Data, tag)) && tag != "head" {
					t.Errorf("table %q changed", tag)
				}
			}
			face, err := font.ParseTTF(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("the rewritten font does not parse: %v", err)
			}
			for r, g := range m {
				if got, ok := face.NominalGlyph(r); !ok || uint16(got) != g {
					t.Errorf("NominalGlyph(%U) = %d, %v, want %d", r, got, ok, g)
				}
			}
			for _, r := range []rune{'D', ' ', 'ت', 0xE002} {
				if g, ok := face.NominalGlyph(r); ok {
					t.Errorf("NominalGlyph(%U) = %d, want none", r, g)
				}
			}
		})
	}
	if _, err := withCmap(fonts.LatinRegular, map[rune]uint16{0x1F600: 3}); err == nil {
		t.Errorf("withCmap(U+1F600) = nil error, want one: format 4 is BMP only")
	}
	for _, bad := range [][]byte{nil, []byte("OTTO"), fonts.LatinRegular[:100]} {
		if _, err := withCmap(bad, map[rune]uint16{'A': 1}); err == nil {
			t.Errorf("withCmap(%d bytes) = nil error, want one", len(bad))
		}
	}
}

// TestComponents finds glyphs built from composite glyphs and checks that
// the closure holds their components' components too.
func TestComponents(t *testing.T) {
	data := fonts.ArabicRegular
	face, err := font.ParseTTF(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	direct := func(g uint16) []uint16 {
		// The components of one glyph, one level down: the closure of g
		// minus the closures of its components.
		c, err := components(data, []uint16{g})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	nested := 0
	numGlyphs := int(binary.BigEndian.Uint16(tableData(data, "maxp")[4:]))
	for g := 0; g < numGlyphs; g++ {
		cs := direct(uint16(g))
		inClosure := map[uint16]bool{uint16(g): true}
		for _, c := range cs {
			inClosure[c] = true
		}
		for _, c := range cs {
			sub := direct(c)
			if len(sub) > 0 {
				nested++
			}
			for _, s := range sub {
				if !inClosure[s] {
					t.Fatalf("components(%d) lacks %d, a component of its component %d", g, s, c)
				}
			}
		}
	}
	if nested == 0 {
		t.Errorf("no composite glyph of Noto Naskh Arabic has a composite component; the closure is not exercised")
	}
	t.Logf("%d composite components that are themselves composite", nested)

	beh, _ := face.NominalGlyph(0xFE91) // beh initial: a dotless beh and a dot
	if c := direct(uint16(beh)); len(c) == 0 {
		t.Errorf("components(beh initial) = none, want its dotless form and its dot")
	}
	if _, err := components([]byte("not a font"), []uint16{1}); err == nil {
		t.Errorf("components(not a font) = nil error")
	}
}

func FuzzComponents(f *testing.F) {
	f.Add(fonts.ArabicRegular, uint16(38))
	f.Add(fonts.TifinaghRegular, uint16(5))
	f.Add([]byte("\x00\x01\x00\x00\x00\x01"), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, gid uint16) {
		// Whatever the bytes, no panic and no endless walk.
		components(data, []uint16{gid})
		withCmap(data, map[rune]uint16{'A': gid})
	})
}
