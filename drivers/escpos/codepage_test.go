package escpos

import (
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// TestCodePagesAgainstXText checks the hand-written tables byte by byte
// against golang.org/x/text's, written from the vendors' tables.
func TestCodePagesAgainstXText(t *testing.T) {
	for _, tt := range []struct {
		page CodePage
		ref  *charmap.Charmap
	}{{WPC1252, charmap.Windows1252}, {PC858, charmap.CodePage858}} {
		t.Run(tt.page.Name, func(t *testing.T) {
			for b := 0x80; b <= 0xFF; b++ {
				want := tt.ref.DecodeByte(byte(b))
				got := tt.page.upper[b-0x80]
				if want == '\uFFFD' || (tt.page.Name == "WPC1252" && want < 0xA0 && want >= 0x80) {
					want = 0 // undefined in the page (x/text maps them to C1 controls)
				}
				if got != want {
					t.Errorf("%s byte %#x = %q, want %q", tt.page.Name, b, got, want)
				}
				if got != 0 {
					if back, ok := tt.page.Byte(got); !ok || back != byte(b) {
						t.Errorf("%s.Byte(%q) = %#x, %v; want %#x", tt.page.Name, got, back, ok, b)
					}
				}
			}
		})
	}
}

func TestCodePageFrench(t *testing.T) {
	const everyday = "àâäçéèêëîïôöùûüÿ ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜ « » € n° 20,00\u00a0DH"
	tests := []struct {
		page CodePage
		text string
		want bool
	}{
		{WPC1252, everyday, true},
		{PC858, everyday, true},
		{WPC1252, "Œuvre, cœur, L'HAŸ-LES-ROSES", true},
		{PC858, "cœur", false},
		{WPC1252, "رقم", false},
		{WPC1252, "ⵜⴰ", false},
		{WPC1252, "tab\there", false},
		{PC858, "─", true},
		{WPC1252, "─", false},
	}
	for _, tt := range tests {
		if got := tt.page.Holds(tt.text); got != tt.want {
			t.Errorf("%s.Holds(%q) = %v, want %v", tt.page.Name, tt.text, got, tt.want)
		}
		if _, ok := tt.page.Encode(tt.text); ok != tt.want {
			t.Errorf("%s.Encode(%q) ok = %v, want %v", tt.page.Name, tt.text, ok, tt.want)
		}
	}
	enc, _ := PC858.Encode("Reçu 20€")
	if string(enc) != "Re\x87u 20\xd5" {
		t.Errorf("PC858.Encode(Reçu 20€) = % x", enc)
	}
}
