package escpos

import (
	"fmt"
	"time"
)

// Profile describes a receipt printer model as the kiosk drives it.
type Profile struct {
	Name string
	// Dots is the printable width in dots, a multiple of 8; DotsPerMM the
	// resolution (8 for the usual 203 dpi heads).
	Dots, DotsPerMM int
	// CodePage is the table native text is sent in.
	CodePage CodePage
	// BandRows is the height of each GS v 0 command a raster image is
	// cut into: cheap printers overflow their buffer on tall images.
	BandRows int
	// NativeQR prints QR codes with the printer's own GS ( k command
	// instead of a raster image.
	NativeQR bool
	// QRModule is a QR code module's size in dots.
	QRModule int
	// PartialCut leaves a hinge so the receipt hangs until taken.
	PartialCut bool
	// ClearOnFault sends DLE DC4 8 (clear buffers) when a job stops on a
	// fault, so that what the printer had received of it is not printed
	// when the fault clears; the job is sent again from its start.
	ClearOnFault bool
	// Speed is the paper speed in dots a second, used to wait for a job to
	// come out before its last status check.
	Speed int
}

// The printers the kiosk supports: 80 mm and 58 mm rolls on 203 dpi
// Epson-compatible heads.
var (
	Receipt80mm = Profile{
		Name: "80mm", Dots: 576, DotsPerMM: 8, CodePage: WPC1252, BandRows: 48,
		QRModule: 6, PartialCut: true, ClearOnFault: true, Speed: 1600,
	}
	Receipt58mm = Profile{
		Name: "58mm", Dots: 384, DotsPerMM: 8, CodePage: WPC1252, BandRows: 24,
		QRModule: 5, PartialCut: true, ClearOnFault: true, Speed: 720,
	}
)

// Profiles lists the built-in profiles.
var Profiles = []Profile{Receipt80mm, Receipt58mm}

// ProfileNamed returns the built-in profile with that name.
func ProfileNamed(name string) (Profile, error) {
	for _, p := range Profiles {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("escpos: no printer profile %q (80mm, 58mm)", name)
}

// Font A's cell and the line spacing ESC @ sets, in dots.
const (
	cellWidth   = 12
	cellHeight  = 24
	lineSpacing = 30
)

// Columns is how many font A characters fit on a line at normal width.
func (p Profile) Columns() int { return p.Dots / cellWidth }

// Validate checks a profile's numbers.
func (p Profile) Validate() error {
	switch {
	case p.Dots < 64 || p.Dots%8 != 0 || p.Dots > MaxRasterBytes*8:
		return fmt.Errorf("escpos: profile %s: width %d dots is not a multiple of 8 between 64 and 1024", p.Name, p.Dots)
	case p.DotsPerMM < 1:
		return fmt.Errorf("escpos: profile %s: %d dots a millimetre", p.Name, p.DotsPerMM)
	case p.CodePage.upper == nil:
		return fmt.Errorf("escpos: profile %s: no code page", p.Name)
	case p.BandRows < 1 || p.BandRows > MaxRasterRows:
		return fmt.Errorf("escpos: profile %s: band of %d rows", p.Name, p.BandRows)
	case p.QRModule < 1 || p.QRModule > 16:
		return fmt.Errorf("escpos: profile %s: QR module of %d dots", p.Name, p.QRModule)
	case p.Speed < 1:
		return fmt.Errorf("escpos: profile %s: speed %d dots a second", p.Name, p.Speed)
	}
	return nil
}

// PrintTime is how long rows of paper take to come out.
func (p Profile) PrintTime(rows int) time.Duration {
	return time.Duration(rows) * time.Second / time.Duration(p.Speed)
}
