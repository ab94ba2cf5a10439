package fonts

import "testing"

func TestEveryFaceIsATrueTypeFont(t *testing.T) {
	for _, f := range All() {
		if len(f.Data) < 1024 {
			t.Errorf("%s: %d bytes, want a whole font", f.Name, len(f.Data))
			continue
		}
		// TrueType outlines start with 0x00010000, CFF ones with "OTTO".
		if tag := string(f.Data[:4]); tag != "\x00\x01\x00\x00" && tag != "OTTO" {
			t.Errorf("%s starts with %q, not an OpenType font", f.Name, tag)
		}
	}
}

func TestForFallsBackToLatin(t *testing.T) {
	if got := For("Cyrl", true).Name; got != "NotoSans-Bold.ttf" {
		t.Errorf("For(Cyrl, bold) = %s, want NotoSans-Bold.ttf", got)
	}
	if got := For("Arab", false).Name; got != "NotoNaskhArabic-Regular.ttf" {
		t.Errorf("For(Arab, regular) = %s, want NotoNaskhArabic-Regular.ttf", got)
	}
}
