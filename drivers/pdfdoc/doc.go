// Package pdfdoc renders a printer-neutral extract (kiosk/extract.Document)
// to PDF for the laser printer: A4 pages, the bundled Noto fonts embedded
// (drivers/fonts), Arabic shaped and ordered before it is drawn, and the
// verification QR code drawn as vector modules.
//
// # Text
//
// Each paragraph is broken into lines at spaces (a word longer than the line
// is cut), then each line is ordered with the Unicode bidirectional
// algorithm (drivers/bidi, VisualRuns, in the document's direction), each
// run split by font (Noto Naskh Arabic for Arabic letters, Noto Sans
// Tifinagh for Tifinagh, Noto Sans for the rest; digits, punctuation and
// spaces stay with the letters around them) and shaped with HarfBuzz's
// algorithm (github.com/go-text/typesetting): joining forms, required
// ligatures, mark positioning. Latin ligatures are turned off so that the
// text layer gives every letter back. Glyphs are placed one by one at their
// shaped positions.
//
// # Fonts and the text layer
//
// PDF is written with github.com/signintech/gopdf, which embeds TrueType
// fonts as Identity-H CID fonts with subsetting but picks glyphs by
// character through the font's cmap, one glyph per character. Shaped Arabic
// needs glyph ids no character maps to (contextual forms) and several
// glyphs for one character (beh in its four forms). So each face is
// embedded as several instances, each a copy of the font whose cmap is
// rewritten for the document (sfnt.go) to map, in that instance, the
// character each glyph stands for to that glyph. The PDF's ToUnicode maps
// then give back the letters in every form: pdftotext reads the Arabic
// extract in logical order, which the tests use to check it.
//
// gopdf's subsetter keeps the components of composite glyphs one level
// deep; Noto Naskh Arabic builds its dotted letters from composites of
// composites. Render hands gopdf the whole closure (private-use characters
// in the instance's cmap, registered by measuring, never drawn), or the dots
// would vanish.
//
// # Limits
//
// One page size (A4) and one layout. A glyph standing for several
// characters (a ligature other than lam-alef) gives back only its first
// character in the text layer; Noto Naskh draws lam-alef as two glyphs, so
// nothing is lost with the bundled fonts. Characters outside the Basic
// Multilingual Plane are refused. Table rows are never split across pages.
package pdfdoc
