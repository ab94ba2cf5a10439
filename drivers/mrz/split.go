package mrz

import (
	"strings"
	"unicode"
)

// Split cuts raw reader output into candidate MRZ lines: it splits on CR,
// LF and CR LF, trims white space and control characters (STX, ETX, …) at
// both ends of each line, and drops empty lines. It changes nothing inside a
// line. The result is never nil.
func Split(text string) []string {
	lines := []string{}
	for len(text) > 0 {
		i := strings.IndexAny(text, "\r\n")
		line := text
		if i < 0 {
			text = ""
		} else {
			line, text = text[:i], text[i+1:]
		}
		if line = strings.TrimFunc(line, trimmed); line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

func trimmed(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }
