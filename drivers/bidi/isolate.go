package bidi

import (
	"fmt"
	"strings"
)

// The isolate controls (UAX #9, section 2.4).
const (
	lri = '\u2066' // LEFT-TO-RIGHT ISOLATE
	fsi = '\u2068' // FIRST STRONG ISOLATE
	pdi = '\u2069' // POP DIRECTIONAL ISOLATE
)

// Isolate returns s wrapped in LRI … PDI, so that inside a sentence of
// either direction it reads left to right, as written, and leaves the order
// of the words around it alone: a tracking number K7MX-4HQ9-XR33, a CIN
// AB123456, a PV number 00000000-RF-0000, a date 12/03/2026, an amount
// 20,00 DH. Without it, "2024-00123" after Arabic letters displays as
// "00123-2024".
//
// Explicit directional controls in s (U+202A–U+202E, U+2066–U+2069) are
// dropped first: a stray PDI would end the isolate early, and an override
// would make an identifier on a receipt display other than it reads.
func Isolate(s string) string {
	return string(lri) + stripControls(s) + string(pdi)
}

// Substitute fills a message template: each {name} is replaced by
// values[name] wrapped in FSI … PDI (a first-strong isolate), and {{ and }}
// stand for literal braces. An identifier written in Latin letters and
// digits, or in digits alone, then reads left to right as written, as with
// Isolate; a value that starts with Arabic letters (a court's name, an
// amount followed by درهم) keeps its right-to-left order. Either way the
// value leaves the order of the sentence around it alone, in every
// language of the template.
//
// As in Isolate, explicit directional controls in the values are dropped.
// A placeholder without a value, or a brace out of place, is an error: a
// receipt must never print "{tracking}".
//
// The result is meant for Visual and VisualRuns, which remove the isolate
// controls; a printer's code page or a font may not have them.
func Substitute(template string, values map[string]string) (string, error) {
	var b strings.Builder
	b.Grow(len(template) + 16*len(values))
	for i := 0; i < len(template); {
		c := template[i]
		switch {
		case c == '{' && strings.HasPrefix(template[i:], "{{"):
			b.WriteByte('{')
			i += 2
		case c == '}' && strings.HasPrefix(template[i:], "}}"):
			b.WriteByte('}')
			i += 2
		case c == '}':
			return "", fmt.Errorf("bidi: template %q: '}' at byte %d closes no placeholder (write }} for a brace)", template, i)
		case c == '{':
			end := strings.IndexByte(template[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("bidi: template %q: placeholder at byte %d is not closed", template, i)
			}
			name := template[i+1 : i+end]
			if !validName(name) {
				return "", fmt.Errorf("bidi: template %q: placeholder {%s} at byte %d: a name is ASCII letters, digits and _", template, name, i)
			}
			v, ok := values[name]
			if !ok {
				return "", fmt.Errorf("bidi: template %q: no value for {%s}", template, name)
			}
			b.WriteRune(fsi)
			b.WriteString(stripControls(v))
			b.WriteRune(pdi)
			i += end + 1
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

func validName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// isExplicitControl reports whether r is one of the explicit directional
// embedding, override and isolate controls.
func isExplicitControl(r rune) bool {
	return '\u202A' <= r && r <= '\u202E' || '\u2066' <= r && r <= '\u2069'
}

func stripControls(s string) string {
	if strings.IndexFunc(s, isExplicitControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isExplicitControl(r) {
			return -1
		}
		return r
	}, s)
}
