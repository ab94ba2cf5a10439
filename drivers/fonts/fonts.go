// Package fonts bundles the fonts the kiosk draws text with, on the
// touchscreen and on receipts, so that Arabic, Tifinagh and Latin render the
// same on every board whatever the image's font packages: Noto Sans (Latin,
// with the accents French needs), Noto Naskh Arabic and Noto Sans Tifinagh,
// all under the SIL Open Font License 1.1 (OFL.txt), copied from Debian's
// fonts-noto-core.
package fonts

import _ "embed"

// The font files, as TrueType bytes.
var (
	//go:embed NotoSans-Regular.ttf
	LatinRegular []byte
	//go:embed NotoSans-Bold.ttf
	LatinBold []byte
	//go:embed NotoNaskhArabic-Regular.ttf
	ArabicRegular []byte
	//go:embed NotoNaskhArabic-Bold.ttf
	ArabicBold []byte
	//go:embed NotoSansTifinagh-Regular.ttf
	TifinaghRegular []byte
)

// Face names a bundled font by script and weight.
type Face struct {
	Script string // ISO 15924: "Latn", "Arab", "Tfng"
	Bold   bool
	Name   string // the file name, for logs and Fyne resources
	Data   []byte
}

// All lists every bundled face.
func All() []Face {
	return []Face{
		{"Latn", false, "NotoSans-Regular.ttf", LatinRegular},
		{"Latn", true, "NotoSans-Bold.ttf", LatinBold},
		{"Arab", false, "NotoNaskhArabic-Regular.ttf", ArabicRegular},
		{"Arab", true, "NotoNaskhArabic-Bold.ttf", ArabicBold},
		{"Tfng", false, "NotoSansTifinagh-Regular.ttf", TifinaghRegular},
		{"Tfng", true, "NotoSansTifinagh-Regular.ttf", TifinaghRegular}, // no bold cut exists
	}
}

// For returns the face for a script and weight, falling back to Latin for a
// script it does not bundle.
func For(script string, bold bool) Face {
	for _, f := range All() {
		if f.Script == script && f.Bold == bold {
			return f
		}
	}
	return For("Latn", bold)
}
