// Package escpossim emulates an Epson-compatible thermal receipt printer on
// the far side of a pseudo-terminal, for drivers/escpos's tests and
// cmd/guichet-devsim.
//
// The printer is reachable at a stable path, a symbolic link the Sim owns
// in the directory given to New (as /dev/guichet/receipt would be); it can
// be opened as a serial port (drivers/serialport) or as a device file
// (escpos.OpenUSB). It reads the byte stream with the independent decoder
// (escposdecode), so a command it does not know is a protocol error of the
// host (Err), and prints on a roll of paper (Receipts: one image per piece
// cut, native text lines and native QR payloads beside).
//
// Real-time status queries (DLE EOT 1–4) are answered as they arrive, from
// the raw stream — even inside a raster image's data, as a printer's
// receive interrupt does — with the real status bytes: offline, cover open,
// paper-end stop, paper near end and paper end. DLE DC4 8 clears what the
// printer received but has not printed, and is acknowledged with 37 25 00.
//
// Scriptable faults: PaperOutAfter(rows) or PaperOut() (the roll ends,
// possibly in the middle of a receipt: what was printed since the last cut
// comes out as a partial piece, and what arrives next waits), LoadPaper
// (a new roll: the printer prints what waited, unless the host cleared
// it), OpenCover / CloseCover, Silence (switched off behind a plugged
// cable: no answers), Unplug / Replug. Exec takes the same as text
// commands for guichet-devsim.
//
// Limits: the printer prints instantly (no paper speed, no receive buffer
// limit, no flow control); no automatic status back (ASB); the paper model
// is escposdecode's (font A approximated with Go Mono).
package escpossim
