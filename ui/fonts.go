package ui

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

// The kiosk bundles its fonts so that Arabic and Tifinagh render the same on
// every board, whatever the image's font packages (OFL 1.1, see fonts/OFL.txt).
// Latin text uses Fyne's own bundled Noto Sans, which is the fallback of every
// face below.
var (
	//go:embed fonts/NotoNaskhArabic-Regular.ttf
	naskhRegular []byte
	//go:embed fonts/NotoNaskhArabic-Bold.ttf
	naskhBold []byte
	//go:embed fonts/NotoSansTifinagh-Regular.ttf
	tifinaghRegular []byte

	fontArabic     = fyne.NewStaticResource("NotoNaskhArabic-Regular.ttf", naskhRegular)
	fontArabicBold = fyne.NewStaticResource("NotoNaskhArabic-Bold.ttf", naskhBold)
	fontTifinagh   = fyne.NewStaticResource("NotoSansTifinagh-Regular.ttf", tifinaghRegular)
)
