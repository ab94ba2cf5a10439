package escpos

import "unicode/utf8"

// CodePage is a printer character table for the bytes 0x80–0xFF (0x20–0x7E
// are ASCII in every table) and the ESC t number that selects it.
type CodePage struct {
	Name   string
	Number byte // ESC t n
	upper  *[128]rune
	encode map[rune]byte
}

// The code pages the kiosk uses for native text. Both hold every letter
// French needs except that PC858 lacks Œ, œ and Ÿ (a line holding them is
// printed as a raster image instead); WPC1252 holds them all, and the euro
// sign. PC858 holds the box-drawing line the rules use.
var (
	// WPC1252 is Windows-1252 (ESC t 16 on Epson TM printers).
	WPC1252 = newCodePage("WPC1252", 16, &wpc1252)
	// PC858 is DOS code page 850 with the euro sign at 0xD5 (ESC t 19).
	PC858 = newCodePage("PC858", 19, &pc858)
)

// CodePages lists the supported code pages.
var CodePages = []CodePage{WPC1252, PC858}

func newCodePage(name string, n byte, upper *[128]rune) CodePage {
	c := CodePage{Name: name, Number: n, upper: upper, encode: map[rune]byte{}}
	for i, r := range upper {
		if r != 0 {
			c.encode[r] = byte(0x80 + i)
		}
	}
	return c
}

// Byte returns the byte that prints r, and whether the page holds r.
// Control characters are never held.
func (c CodePage) Byte(r rune) (byte, bool) {
	if r >= 0x20 && r < 0x7F {
		return byte(r), true
	}
	b, ok := c.encode[r]
	return b, ok
}

// Encode transcodes s; ok is false when the page lacks one of its
// characters (or s is not valid UTF-8).
func (c CodePage) Encode(s string) (b []byte, ok bool) {
	b = make([]byte, 0, len(s))
	for _, r := range s {
		if r == utf8.RuneError {
			return nil, false
		}
		x, ok := c.Byte(r)
		if !ok {
			return nil, false
		}
		b = append(b, x)
	}
	return b, true
}

// Holds reports whether the page prints every character of s.
func (c CodePage) Holds(s string) bool {
	for _, r := range s {
		if _, ok := c.Byte(r); !ok {
			return false
		}
	}
	return true
}

// wpc1252 is Windows-1252's upper half; 0 marks the five undefined bytes.
var wpc1252 = [128]rune{
	'€', 0, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0, 'Ž', 0,
	0, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0, 'ž', 'Ÿ',
	'\u00A0', '¡', '¢', '£', '¤', '¥', '¦', '§', '¨', '©', 'ª', '«', '¬', '\u00AD', '®', '¯',
	'°', '±', '²', '³', '´', 'µ', '¶', '·', '¸', '¹', 'º', '»', '¼', '½', '¾', '¿',
	'À', 'Á', 'Â', 'Ã', 'Ä', 'Å', 'Æ', 'Ç', 'È', 'É', 'Ê', 'Ë', 'Ì', 'Í', 'Î', 'Ï',
	'Ð', 'Ñ', 'Ò', 'Ó', 'Ô', 'Õ', 'Ö', '×', 'Ø', 'Ù', 'Ú', 'Û', 'Ü', 'Ý', 'Þ', 'ß',
	'à', 'á', 'â', 'ã', 'ä', 'å', 'æ', 'ç', 'è', 'é', 'ê', 'ë', 'ì', 'í', 'î', 'ï',
	'ð', 'ñ', 'ò', 'ó', 'ô', 'õ', 'ö', '÷', 'ø', 'ù', 'ú', 'û', 'ü', 'ý', 'þ', 'ÿ',
}

// pc858 is code page 858's upper half.
var pc858 = [128]rune{
	'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å',
	'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', 'ø', '£', 'Ø', '×', 'ƒ',
	'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '®', '¬', '½', '¼', '¡', '«', '»',
	'░', '▒', '▓', '│', '┤', 'Á', 'Â', 'À', '©', '╣', '║', '╗', '╝', '¢', '¥', '┐',
	'└', '┴', '┬', '├', '─', '┼', 'ã', 'Ã', '╚', '╔', '╩', '╦', '╠', '═', '╬', '¤',
	'ð', 'Ð', 'Ê', 'Ë', 'È', '€', 'Í', 'Î', 'Ï', '┘', '┌', '█', '▄', '¦', 'Ì', '▀',
	'Ó', 'ß', 'Ô', 'Ò', 'õ', 'Õ', 'µ', 'þ', 'Þ', 'Ú', 'Û', 'Ù', 'ý', 'Ý', '¯', '´',
	'\u00AD', '±', '‗', '¾', '¶', '§', '÷', '¸', '°', '¨', '·', '¹', '³', '²', '■', '\u00A0',
}
