// Package escposdecode reads an ESC/POS byte stream the way a receipt
// printer does, for tests and for the printer emulator (escpossim). It is
// written from the Epson ESC/POS command reference, separately from the
// encoder in drivers/escpos, so that the two check each other: a bug in
// the encoder's reading of the specification shows up here as an unknown
// command, a malformed parameter or a receipt that looks wrong.
//
// Parser walks the stream and emits one Command per control sequence or run
// of printable bytes. It accepts exactly this set (Epson names):
//
//	LF, CR                    print the line buffer (CR is ignored)
//	ESC @                     initialise
//	ESC t n                   code page: 0 PC437, 2 PC850, 16 WPC1252, 19 PC858
//	ESC a n                   justification (0/48 left, 1/49 centre, 2/50 right)
//	ESC E n                   emphasised (bold) on or off (bit 0)
//	GS ! n                    character size (bits 4–6 width−1, 0–2 height−1)
//	ESC d n                   print and feed n lines
//	ESC J n                   print and feed n dots
//	ESC 2, ESC 3 n            default line spacing, n dots
//	GS V m, GS V m n          cut: 0/48 full, 1/49 partial, 65/66 feed n dots then cut
//	GS v 0 m xL xH yL yH d…   raster bit image, 1 ≤ x ≤ 128 bytes, 1 ≤ y ≤ 4095 rows
//	GS ( k … cn=49            QR code: model (fn 65), size (67), error level (69),
//	                          store (80), print (81)
//	DLE EOT n                 real-time status, 1 ≤ n ≤ 4
//	DLE DC4 8 1 3 20 1 6 2 8  clear the receive and print buffers
//
// Anything else — another control byte, another ESC or GS command, a
// parameter out of range — is an error naming the byte offset: the kiosk
// must never send a command a printer might read differently.
//
// Paper applies the commands to a sheet of thermal paper: text in the
// printer's font A (12 × 24 dots, rendered here with Go Mono) with its
// size, weight and justification, raster images as they are, native QR
// codes drawn with github.com/skip2/go-qrcode, cuts recorded by row. Image
// gives the printed sheet; Lines gives the native text lines as decoded
// UTF-8, Rasters every raster image and QRCodes the payloads of native QR
// codes. A line longer than the paper wraps as on a printer and is counted
// in Wrapped, which the kiosk's receipts keep at zero.
//
// Limits: standard mode only (no page mode); no character sets other than
// the four code pages above, no user-defined characters, no ESC * bit
// images, no barcodes other than QR, no underline, upside-down or rotated
// printing; fonts are approximations of a printer's ROM fonts; real-time
// commands are recognised as commands, not inside other commands' data
// (the emulator looks for them in the raw stream itself, as printers do).
package escposdecode
