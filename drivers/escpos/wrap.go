package escpos

import (
	"strings"
	"unicode/utf8"
)

// wrap breaks text (logical order) into lines whose measure is at most
// limit: at spaces, never inside a directional isolate (an identifier or
// amount stays whole), and inside a word only when the word alone is too
// long — after a '/', '-' or '.' when there is one (URLs), anywhere
// otherwise. The no-break space (U+00A0) holds an amount to its currency.
func wrap(text string, limit int, measure func(string) int) []string {
	var lines []string
	cur := ""
	for _, w := range words(text) {
		cand := w
		if cur != "" {
			cand = cur + " " + w
		}
		if measure(cand) <= limit {
			cur = cand
			continue
		}
		if cur != "" {
			lines = append(lines, cur)
			cur = ""
		}
		for measure(w) > limit {
			n := fit(w, limit, measure)
			lines = append(lines, w[:n])
			w = w[n:]
		}
		cur = w
	}
	if cur != "" || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

// words splits text at the spaces outside directional isolates, dropping
// empty words (runs of spaces print as one).
func words(text string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range text {
		switch {
		case r >= 0x2066 && r <= 0x2068:
			depth++
		case r == 0x2069 && depth > 0:
			depth--
		case r == ' ' && depth == 0:
			if i > start {
				out = append(out, text[start:i])
			}
			start = i + 1
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// fit returns the byte length of the longest prefix of w, at least one
// character, that measures at most limit, preferring to end after a
// separator.
func fit(w string, limit int, measure func(string) int) int {
	best, sep := 0, 0
	for i, r := range w {
		end := i + utf8.RuneLen(r)
		if measure(w[:end]) > limit {
			break
		}
		best = end
		if strings.ContainsRune("/-.", r) {
			sep = end
		}
	}
	if best == 0 {
		_, n := utf8.DecodeRuneInString(w)
		return n
	}
	if sep > 0 && sep > best/2 {
		return sep
	}
	return best
}
