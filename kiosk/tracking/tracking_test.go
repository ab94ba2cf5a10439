package tracking

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// build returns the number with the given payload and its check character.
func build(payload string) Number { return Number(payload + string(checkChar(payload))) }

// valid is a number whose check character is right (computed by hand below).
var valid = build("K7MX4HQ9XR3")

func TestAlphabet(t *testing.T) {
	if len(Alphabet) != base {
		t.Fatalf("len(Alphabet) = %d, want %d", len(Alphabet), base)
	}
	for d := 2; d*d <= base; d++ {
		if base%d == 0 {
			t.Fatalf("alphabet size %d is divisible by %d; the check needs a prime", base, d)
		}
	}
	seen := map[rune]bool{}
	for _, r := range Alphabet {
		if seen[r] {
			t.Errorf("Alphabet repeats %q", r)
		}
		seen[r] = true
		if !('0' <= r && r <= '9' || 'A' <= r && r <= 'Z') {
			t.Errorf("Alphabet holds %q, want only digits and capitals", r)
		}
	}
	for _, r := range "0O1IL2Z5S8BUV" {
		if seen[r] {
			t.Errorf("Alphabet holds the ambiguous %q", r)
		}
	}
	if Len-1 >= base {
		t.Errorf("%d weights do not fit below %d", Len, base)
	}
}

// TestCheckCharacterByHand pins the weighted sum to a worked example so that
// a change of weights or alphabet order cannot go unnoticed.
func TestCheckCharacterByHand(t *testing.T) {
	// K7MX4HQ9XR3: values K=13 7=3 M=14 X=21 4=1 H=11 Q=17 9=4 X=21 R=18 3=0.
	// Σ i·v = 13+6+42+84+5+66+119+32+189+180+0 = 736 = 32·23 + 0, so the
	// check value c must give 12c ≡ 0: c = 0, the character '3'.
	if got, want := valid, Number("K7MX4HQ9XR33"); got != want {
		t.Fatalf("build(K7MX4HQ9XR3) = %q, want %q", got, want)
	}
}

type parseTest struct {
	name    string
	in      string
	want    Number
	wantErr error
	wantPos int // ErrCharacter
}

// parseTests also seeds FuzzParse.
var parseTests = []parseTest{
	{name: "canonical", in: "K7MX4HQ9XR33", want: valid},
	{name: "grouped", in: "K7MX-4HQ9-XR33", want: valid},
	{name: "lower case", in: "k7mx-4hq9-xr33", want: valid},
	{name: "spaces", in: "  K7MX 4HQ9 XR33 ", want: valid},
	{name: "tabs and newline", in: "K7MX\t4HQ9\nXR33\r\n", want: valid},
	{name: "en dash and non-breaking space", in: "K7MX–4HQ9\u00a0XR33", want: valid},
	{name: "mixed separators", in: "k7m-x4h q9x-r33", want: valid},
	{name: "letter O for a digit", in: "K7MX-4HQO-XR33", wantErr: ErrCharacter, wantPos: 8},
	{name: "digit zero", in: "0K7MX4HQ9XR3", wantErr: ErrCharacter, wantPos: 1},
	{name: "digit one", in: "K7MX-4HQ9-XR31", wantErr: ErrCharacter, wantPos: 12},
	{name: "letter S", in: "K7MX4HQ9XRS3", wantErr: ErrCharacter, wantPos: 11},
	{name: "letter B", in: "B7MX4HQ9XR33", wantErr: ErrCharacter, wantPos: 1},
	{name: "letter U", in: "K7MX4HU9XR33", wantErr: ErrCharacter, wantPos: 7},
	{name: "arabic-indic digits", in: "K7MX-4HQ٩-XR٣٣", want: valid},
	{name: "extended arabic-indic digit", in: "K۷MX4HQ9XR33", want: valid},
	{name: "arabic digit zero", in: "K7MX4HQ٠XR33", wantErr: ErrCharacter, wantPos: 8},
	{name: "arabic letter", in: "K7MX4HQ9XRب3", wantErr: ErrCharacter, wantPos: 11},
	{name: "fullwidth letter", in: "Ｋ7MX4HQ9XR33", wantErr: ErrCharacter, wantPos: 1},
	{name: "dotless i upper-cases to I", in: "K7MXıHQ9XR33", wantErr: ErrCharacter, wantPos: 5},
	{name: "underscore", in: "K7MX_4HQ9_XR33", wantErr: ErrCharacter, wantPos: 5},
	{name: "plus", in: "+K7MX4HQ9XR33", wantErr: ErrCharacter, wantPos: 1},
	{name: "invalid utf-8", in: "K7MX\xff4HQ9XR33", wantErr: ErrCharacter, wantPos: 5},
	{name: "empty", in: "", wantErr: ErrLength},
	{name: "only separators", in: " - - ", wantErr: ErrLength},
	{name: "one missing", in: "K7MX-4HQ9-XR3", wantErr: ErrLength},
	{name: "one too many", in: "K7MX-4HQ9-XR33-3", wantErr: ErrLength},
	{name: "very long", in: strings.Repeat("K", 1000), wantErr: ErrLength},
	{name: "one wrong", in: "K7MX-4HQ9-XR43", wantErr: ErrCheck},
	{name: "neighbours swapped", in: "K7MX-H4Q9-XR33", wantErr: ErrCheck},
	{name: "check character wrong", in: "K7MX-4HQ9-XR34", wantErr: ErrCheck},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.wantErr == nil {
				if err != nil || got != tt.want {
					t.Fatalf("Parse(%q) = %q, %v, want %q, nil", tt.in, got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || got != "" {
				t.Fatalf("Parse(%q) = %q, %v, want error %v", tt.in, got, err, tt.wantErr)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T, want *Error", tt.in, err)
			}
			if pe.Pos != tt.wantPos {
				t.Errorf("Parse(%q) error position = %d, want %d (%v)", tt.in, pe.Pos, tt.wantPos, err)
			}
			if !strings.HasPrefix(err.Error(), "tracking: ") {
				t.Errorf("Parse(%q) error %q lacks the package prefix", tt.in, err)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"K7MX-4HQO-XR33", `tracking: character not used in tracking numbers: 'O' at position 8 of "K7MX-4HQO-XR33"`},
		{"K7MX-4HQ9-XR3", `tracking: wrong length: "K7MX-4HQ9-XR3" has 11 characters, want 12`},
		{"K7MX-H4Q9-XR33", `tracking: check character wrong: "K7MX-H4Q9-XR33" has a mistyped or swapped character`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse(%q) error = %v, want %s", tt.in, err, tt.want)
			}
		})
	}
}

// randomNumbers returns n valid numbers with uniformly random payloads from a
// fixed seed, so that failures reproduce.
func randomNumbers(n int) []Number {
	r := rand.New(rand.NewPCG(2025, 9))
	out := make([]Number, n)
	var b [payloadLen]byte
	for i := range out {
		for j := range b {
			b[j] = Alphabet[r.IntN(base)]
		}
		out[i] = build(string(b[:]))
	}
	return out
}

// TestCheckCatchesEverySingleError tries, on many numbers, every single
// substitution (each position, each other character of the alphabet) and
// every swap of two neighbours, and requires Parse to refuse each one with
// ErrCheck. It also requires that together the numbers covered every
// (position, old, new) substitution and every (position, left, right) swap
// there is — so the proof is exhaustive over the whole number space, since
// whether an error is caught depends only on its position and the two values
// (the check is linear).
func TestCheckCatchesEverySingleError(t *testing.T) {
	type triple struct{ pos, a, b int }
	substituted := map[triple]bool{}
	swapped := map[triple]bool{}
	for _, n := range randomNumbers(10000) {
		if !n.Valid() {
			t.Fatalf("%q: built number is not valid", n)
		}
		b := []byte(n)
		for i := range b {
			orig := b[i]
			for k := 0; k < base; k++ {
				if Alphabet[k] == orig {
					continue
				}
				b[i] = Alphabet[k]
				if _, err := Parse(string(b)); !errors.Is(err, ErrCheck) {
					t.Fatalf("Parse(%q) (%q with position %d changed) error = %v, want %v", b, n, i+1, err, ErrCheck)
				}
				substituted[triple{i, int(value[orig]), k}] = true
			}
			b[i] = orig
		}
		for i := 0; i+1 < len(b); i++ {
			if b[i] == b[i+1] {
				continue
			}
			b[i], b[i+1] = b[i+1], b[i]
			if _, err := Parse(string(b)); !errors.Is(err, ErrCheck) {
				t.Fatalf("Parse(%q) (%q with positions %d and %d swapped) error = %v, want %v", b, n, i+1, i+2, err, ErrCheck)
			}
			swapped[triple{i, int(value[b[i+1]]), int(value[b[i]])}] = true
			b[i], b[i+1] = b[i+1], b[i]
		}
	}
	if got, want := len(substituted), Len*base*(base-1); got != want {
		t.Errorf("covered %d substitutions, want all %d", got, want)
	}
	if got, want := len(swapped), (Len-1)*base*(base-1); got != want {
		t.Errorf("covered %d neighbour swaps, want all %d", got, want)
	}
}

// TestCheckCatchesDistantSwaps checks the stronger claim of doc.go: a swap of
// any two different characters, neighbours or not, is caught.
func TestCheckCatchesDistantSwaps(t *testing.T) {
	for _, n := range randomNumbers(500) {
		b := []byte(n)
		for i := range b {
			for j := i + 2; j < len(b); j++ {
				if b[i] == b[j] {
					continue
				}
				b[i], b[j] = b[j], b[i]
				if _, err := Parse(string(b)); !errors.Is(err, ErrCheck) {
					t.Fatalf("Parse(%q) (%q with %d and %d swapped) error = %v, want %v", b, n, i+1, j+1, err, ErrCheck)
				}
				b[i], b[j] = b[j], b[i]
			}
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		n    Number
		want string
	}{
		{valid, "K7MX-4HQ9-XR33"},
		{"", ""},
		{"K7MX", "K7MX"}, // not canonical: unchanged
	}
	for _, tt := range tests {
		if got := tt.n.String(); got != tt.want {
			t.Errorf("Number(%q).String() = %q, want %q", string(tt.n), got, tt.want)
		}
	}
	if got, err := Parse(valid.String()); err != nil || got != valid {
		t.Errorf("Parse(%q) = %q, %v, want %q", valid.String(), got, err, valid)
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		n    Number
		want bool
	}{
		{valid, true},
		{"", false},
		{"k7mx4hq9xr33", false}, // not canonical
		{"K7MX-4HQ9-XR33", false},
		{"K7MX4HQ9XR34", false},
		{"K7MX4HQ9XR3O", false},
	}
	for _, tt := range tests {
		if got := tt.n.Valid(); got != tt.want {
			t.Errorf("Number(%q).Valid() = %v, want %v", string(tt.n), got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	b, err := valid.MarshalText()
	if err != nil || string(b) != string(valid) {
		t.Fatalf("MarshalText() = %q, %v, want %q", b, err, valid)
	}
	if _, err := Number("K7MX").MarshalText(); err == nil {
		t.Errorf("Number(K7MX).MarshalText() succeeded, want error")
	}
	var n Number
	if err := n.UnmarshalText([]byte("k7mx-4hq9-xr33")); err != nil || n != valid {
		t.Errorf("UnmarshalText = %q, %v, want %q", n, err, valid)
	}
	if err := n.UnmarshalText(nil); err != nil || n != "" {
		t.Errorf("UnmarshalText(empty) = %q, %v, want empty", n, err)
	}
	if err := n.UnmarshalText([]byte("K7MX")); !errors.Is(err, ErrLength) {
		t.Errorf("UnmarshalText(K7MX) error = %v, want %v", err, ErrLength)
	}
}

func TestQRPayload(t *testing.T) {
	const base = "https://suivi.justice.ma/t/"
	if got, want := valid.QRPayload(base), "https://suivi.justice.ma/t/K7MX4HQ9XR33"; got != want {
		t.Fatalf("QRPayload = %q, want %q", got, want)
	}
	tests := []struct {
		name, base, payload string
		want                Number
		wantErr             error
	}{
		{"as made", base, base + "K7MX4HQ9XR33", valid, nil},
		{"scanner adds CR LF", base, base + "K7MX4HQ9XR33\r\n", valid, nil},
		{"upper-cased for alphanumeric mode", base, "HTTPS://SUIVI.JUSTICE.MA/T/K7MX4HQ9XR33", valid, nil},
		{"empty base", "", "K7MX4HQ9XR33", valid, nil},
		{"other site", base, "https://example.com/t/K7MX4HQ9XR33", "", ErrQRBase},
		{"shorter than base", base, "https://", "", ErrQRBase},
		{"bare number", base, "K7MX4HQ9XR33", "", ErrQRBase},
		{"damaged number", base, base + "K7MX4HQ9XR34", "", ErrCheck},
		{"number cut", base, base + "K7MX4HQ9", "", ErrLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQRPayload(tt.base, tt.payload)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("ParseQRPayload(%q, %q) = %q, %v, want %q, %v", tt.base, tt.payload, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// fixedClock returns a clock the test moves by hand.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// seeded is a deterministic, endless random source.
func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return rand.NewChaCha8(s)
}

func TestGeneratorLayout(t *testing.T) {
	day := time.Date(2026, time.March, 14, 9, 30, 0, 0, time.UTC)
	clk := &fixedClock{t: day}
	g := NewGenerator("ma-casablanca-tpi-01", clk.now, seeded(1))
	n := g.Next()
	if !n.Valid() {
		t.Fatalf("Next() = %q, not valid", n)
	}
	if got, want := n.KioskPrefix(), KioskPrefix("ma-casablanca-tpi-01"); got != want {
		t.Errorf("Next().KioskPrefix() = %q, want %q", got, want)
	}
	// 2026-03-14 is day 437 = 0·529 + 19·23 + 0: "3" "T" "3".
	if got, want := string(n[3:6]), "3T3"; got != want {
		t.Errorf("day part of %q = %q, want %q", n, got, want)
	}
	if got, want := len(n.String()), 14; got != want {
		t.Errorf("len(%q) = %d, want %d", n.String(), got, want)
	}
}

func TestKioskPrefix(t *testing.T) {
	a, b := KioskPrefix("ma-rabat-tpi-01"), KioskPrefix("ma-rabat-tpi-02")
	if a == b {
		t.Errorf("KioskPrefix gives %q to two kiosks (possible, but not for these)", a)
	}
	if a != KioskPrefix("ma-rabat-tpi-01") {
		t.Errorf("KioskPrefix is not stable")
	}
	if len(a) != prefixLen {
		t.Errorf("len(KioskPrefix) = %d, want %d", len(a), prefixLen)
	}
	if got := Number("K7MX").KioskPrefix(); got != "" {
		t.Errorf("invalid number's KioskPrefix() = %q, want empty", got)
	}
}

func TestGeneratorUnique(t *testing.T) {
	clk := &fixedClock{t: time.Date(2026, 5, 2, 8, 0, 0, 0, time.UTC)}
	g := NewGenerator("tg-lome-01", clk.now, seeded(2))
	seen := map[Number]bool{}
	for i := 0; i < 50000; i++ {
		if i%5000 == 0 {
			// The clock wanders: forward a day, then back two (an NTP fix).
			clk.set(clk.now().Add(time.Duration(i%3-1) * 36 * time.Hour))
		}
		n := g.Next()
		if !n.Valid() {
			t.Fatalf("Next() = %q, not valid", n)
		}
		if seen[n] {
			t.Fatalf("Next() repeated %q after %d numbers", n, i)
		}
		seen[n] = true
	}
}

func TestGeneratorDayNeverGoesBack(t *testing.T) {
	clk := &fixedClock{t: time.Date(2026, 5, 2, 8, 0, 0, 0, time.UTC)}
	g := NewGenerator("ma-fes-tpi-01", clk.now, seeded(3))
	first := g.Next()
	clk.set(clk.now().AddDate(0, 0, -3))
	if got := g.Next(); got[3:6] != first[3:6] {
		t.Errorf("after the clock went back, day part = %q, want %q", got[3:6], first[3:6])
	}
	clk.set(clk.now().AddDate(0, 0, 4))
	if got := g.Next(); got[3:6] == first[3:6] {
		t.Errorf("a day later, day part = %q, want a new day", got[3:6])
	}
}

func TestGeneratorExhaustedDayBorrowsNext(t *testing.T) {
	clk := &fixedClock{t: time.Date(2026, 5, 2, 8, 0, 0, 0, time.UTC)}
	g := NewGenerator("ma-fes-tpi-01", clk.now, seeded(4))
	first := g.Next()
	g.mu.Lock()
	g.count = counterSpace // as if 6.4 million numbers had been issued today
	g.mu.Unlock()
	next := g.Next()
	if next[3:6] == first[3:6] {
		t.Errorf("after exhausting the day, day part = %q, want the next day", next[3:6])
	}
	clk.set(clk.now().Add(time.Hour)) // still the same calendar day
	if again := g.Next(); again[3:6] != next[3:6] || again == next {
		t.Errorf("Next() = %q after %q, want the borrowed day continued", again, next)
	}
}

func TestGeneratorBeforeEpoch(t *testing.T) {
	// A board without a battery-backed clock boots in 1970.
	g := NewGenerator("ma-oujda-tpi-01", func() time.Time { return time.Unix(0, 0) }, seeded(5))
	if n := g.Next(); !n.Valid() {
		t.Errorf("Next() in 1970 = %q, not valid", n)
	}
}

func TestDayOf(t *testing.T) {
	tests := []struct {
		t    time.Time
		want int64
	}{
		{Epoch, 0},
		{Epoch.Add(-time.Nanosecond), -1},
		{Epoch.Add(-24 * time.Hour), -1},
		{Epoch.Add(24*time.Hour - 1), 0},
		{time.Date(2025, 1, 1, 23, 0, 0, 0, time.FixedZone("WET+1", 3600)), 0}, // 22:00 UTC
		{time.Date(2025, 1, 2, 0, 30, 0, 0, time.FixedZone("WET+1", 3600)), 0}, // 23:30 UTC
	}
	for _, tt := range tests {
		if got := dayOf(tt.t); got != tt.want {
			t.Errorf("dayOf(%v) = %d, want %d", tt.t, got, tt.want)
		}
	}
}

func TestGeneratorConcurrent(t *testing.T) {
	g := NewGenerator("ma-tanger-tpi-01", nil, nil)
	const workers, each = 8, 2000
	got := make([][]Number, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				got[w] = append(got[w], g.Next())
			}
		})
	}
	wg.Wait()
	seen := map[Number]bool{}
	for _, ns := range got {
		for _, n := range ns {
			if seen[n] {
				t.Fatalf("concurrent Next() repeated %q", n)
			}
			seen[n] = true
		}
	}
	if len(seen) != workers*each {
		t.Errorf("got %d numbers, want %d", len(seen), workers*each)
	}
}

func TestGeneratorRandomFailurePanics(t *testing.T) {
	g := NewGenerator("k", nil, bytes.NewReader(nil))
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("Next() with a failing random source did not panic")
		}
	}()
	g.Next()
}

// TestRestartSameDay shows the same-kiosk case of doc.go: two runs of one
// kiosk on one day draw independent offsets, so their numbers differ.
func TestRestartSameDay(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC) }
	a := NewGenerator("ma-agadir-tpi-01", now, seeded(6))
	b := NewGenerator("ma-agadir-tpi-01", now, seeded(7))
	var got []Number
	for range 3 {
		got = append(got, a.Next(), b.Next())
	}
	seen := map[Number]bool{}
	for _, n := range got {
		if seen[n] {
			t.Errorf("two runs of one kiosk repeated %q: %v", n, got)
		}
		seen[n] = true
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || !(errors.Is(err, ErrLength) || errors.Is(err, ErrCharacter) || errors.Is(err, ErrCheck)) {
				t.Fatalf("Parse(%q) error = %v, want a *Error wrapping a sentinel", s, err)
			}
			if n != "" {
				t.Fatalf("Parse(%q) = %q with an error, want empty", s, n)
			}
			return
		}
		if !n.Valid() {
			t.Fatalf("Parse(%q) = %q, not valid", s, n)
		}
		for _, again := range []string{string(n), n.String(), strings.ToLower(n.String())} {
			m, err := Parse(again)
			if diff := cmp.Diff(n, m); err != nil || diff != "" {
				t.Fatalf("Parse(%q) = %q, %v, want %q", again, m, err, n)
			}
		}
	})
}

func BenchmarkNext(b *testing.B) {
	g := NewGenerator("ma-casablanca-tpi-01", nil, nil)
	b.ReportAllocs()
	for b.Loop() {
		g.Next()
	}
}

func BenchmarkParse(b *testing.B) {
	s := valid.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(s); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLongInputErrorIsShort(t *testing.T) {
	in := strings.Repeat("K7MX-", 40) + "ب"
	_, err := Parse(in)
	var pe *Error
	if !errors.As(err, &pe) || pe.Err != ErrCharacter || pe.Pos != 161 {
		t.Fatalf("Parse(long) = %v, want ErrCharacter at 161", err)
	}
	if len(err.Error()) > 200 || !strings.Contains(err.Error(), "…") {
		t.Errorf("Parse(long) error = %q, want it clipped", err)
	}
	_, err = Parse(strings.Repeat("7", 100))
	if !errors.As(err, &pe) || pe.Got != 100 {
		t.Errorf("Parse(100 sevens) = %v, want ErrLength with 100 characters", err)
	}
}
