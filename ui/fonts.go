package ui

import (
	"sync"
	"unicode"

	"fyne.io/fyne/v2"
	"golang.org/x/image/font/sfnt"

	"guichet/drivers/fonts"
)

var (
	fontMu    sync.Mutex
	fontCache = map[fontKey]fyne.Resource{}
)

type fontKey struct {
	script string
	bold   bool
}

// scriptFont is the bundled font of a script as a Fyne resource, made once:
// every run of text names its font explicitly, whatever the theme.
func scriptFont(script string, bold bool) fyne.Resource {
	k := fontKey{script, bold}
	fontMu.Lock()
	defer fontMu.Unlock()
	if r, ok := fontCache[k]; ok {
		return r
	}
	f := fonts.For(script, bold)
	r := fyne.NewStaticResource(f.Name, f.Data)
	fontCache[k] = r
	return r
}

// fontScriptFor is the script whose bundled font draws rune c in a run
// preferring script pref: letters by their own script; other characters
// by the preferred font when it has them, else by Noto Sans.
func fontScriptFor(c rune, pref string) string {
	switch {
	case unicode.Is(unicode.Arabic, c):
		return "Arab"
	case unicode.Is(unicode.Tifinagh, c):
		return "Tfng"
	case unicode.IsLetter(c):
		return "Latn"
	}
	if pref != "Latn" && covers(pref, c) {
		return pref
	}
	return "Latn"
}

var (
	coverMu sync.Mutex
	cmaps   = map[string]*sfnt.Font{}
	covered = map[fontRune]bool{}
)

type fontRune struct {
	script string
	r      rune
}

// covers reports whether the script's bundled regular font has a glyph for c.
func covers(script string, c rune) bool {
	coverMu.Lock()
	defer coverMu.Unlock()
	k := fontRune{script, c}
	if v, ok := covered[k]; ok {
		return v
	}
	f, ok := cmaps[script]
	if !ok {
		var err error
		f, err = sfnt.Parse(fonts.For(script, false).Data)
		if err != nil {
			f = nil
		}
		cmaps[script] = f
	}
	v := false
	if f != nil {
		var b sfnt.Buffer
		i, err := f.GlyphIndex(&b, c)
		v = err == nil && i != 0
	}
	covered[k] = v
	return v
}

// scriptOf names the script whose font draws a run: the first letter of
// Arabic or Tifinagh decides, anything else is drawn with Noto Sans.
func scriptOf(s string) string {
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Arabic, r):
			return "Arab"
		case unicode.Is(unicode.Tifinagh, r):
			return "Tfng"
		case unicode.IsLetter(r):
			return "Latn"
		}
	}
	return "Latn"
}
