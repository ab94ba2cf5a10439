package mrz

import "fmt"

// charValue is the ICAO 9303-3 §4.9 value of an MRZ character: digits as is,
// A=10 … Z=35, the filler < = 0. ok is false outside that alphabet.
func charValue(c byte) (v int, ok bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10, true
	case c == '<':
		return 0, true
	}
	return 0, false
}

// CheckDigit computes the ICAO 9303 check digit of s (weights 7, 3, 1
// repeating, sum modulo 10) and returns it as an ASCII digit '0'…'9', ready
// to be written into an MRZ line. It fails on a character outside A–Z, 0–9
// and <.
func CheckDigit(s string) (byte, error) {
	sum := 0
	for i := 0; i < len(s); i++ {
		v, ok := charValue(s[i])
		if !ok {
			return 0, fmt.Errorf("mrz: check digit: character %q at position %d is not A-Z, 0-9 or <", s[i], i+1)
		}
		sum += v * [3]int{7, 3, 1}[i%3]
	}
	return byte('0' + sum%10), nil
}
