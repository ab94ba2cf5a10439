// Package escpos drives the kiosk's thermal receipt printer with Epson's
// ESC/POS commands: it lays out receipt.Documents for a printer profile,
// sends them in chunks with a real-time status check between two, and
// reads the printer's status.
//
// # Commands
//
// command.go appends the commands a receipt needs, no more, each pure and
// golden-tested against the Epson reference: ESC @ (initialise), ESC t
// (code page), ESC a (justification), ESC E (bold), GS ! (size), ESC d and
// ESC J (feed lines, dots), GS V 65/66 (feed to the cutter and cut), GS v 0
// (raster image, sent in bands of Profile.BandRows rows because cheap
// printers overflow on tall images), GS ( k (the printer's own QR code,
// optional), DLE EOT (real-time status) and DLE DC4 8 (clear buffers).
//
// # Text
//
// Native text goes in a code page that holds French: WPC1252 (ESC t 16) by
// default, which has every French letter, Œ, œ and Ÿ included, and the euro
// sign; PC858 (ESC t 19) is the alternative for printers without it (it
// lacks Œ œ Ÿ: such a line is printed as an image). Arabic and Tifinagh,
// and any line the code page cannot hold, are ordered with the Unicode
// bidirectional algorithm (drivers/bidi), shaped with go-text/typesetting
// (HarfBuzz's algorithm) in the bundled Noto fonts (drivers/fonts), and
// rasterised (golang.org/x/image/vector, thresholded to black and white).
// Each line is sent the cheapest way that prints it right: native text
// when the code page holds its characters in visual order; otherwise a
// raster image cropped to its ink (blank rows become paper feeds, blank
// columns are dropped and the printer's justification puts the image back
// in place). Job.Stats counts the bytes of each kind.
//
// # Status and faults
//
// status.go decodes the four DLE EOT answers (printer, offline cause,
// error cause, paper sensors) into Status, checking each byte's fixed bits,
// and classifies it as a Fault: cover open, paper out, cutter error,
// printer error, offline. Status is polled between jobs and between the
// chunks of a job — never inside raster data: a job is a list of chunks of
// whole commands. When a fault stops a job, no more chunks are sent, the
// printer's buffers are cleared (Profile.ClearOnFault) and the error
// (a *FaultError) says where it stopped; the print queue (kiosk/printq)
// sends the whole job again once the printer is ready.
//
// # Transports
//
// The printer is a drivers.Port: a serial line (drivers/serialport), the
// USB printer-class device file /dev/usb/lp0 (OpenUSB) or a raw TCP socket
// on port 9100 (DialTCP). Printer holds the port a Supervisor gives it
// (Drive), serialises jobs and status queries on it, and implements
// printq.Printer.
//
// # Testing
//
// escposdecode is an independent decoder of the byte stream, written from
// the Epson reference rather than from this encoder; escpossim is the
// printer on the far side of a pseudo-terminal (status answers, paper out
// mid-job, cover open, unplug). The tests print every document, decode it,
// save it as PNG and read its QR code back with zbarimg.
//
// Limits: standard mode only; one font (A); no underline, no rotation, no
// barcodes other than QR; paper near end is reported, not a fault; status
// polling cannot see a fault the printer has not reached yet (its receive
// buffer may hold several chunks), which is why the buffers are cleared on
// a fault and a job is always sent again whole.
package escpos
