package idscan_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers/idscan"
)

// The ICAO specimens and a CNIE-shaped card, as readers send them.
var (
	td1 = []string{
		"I<UTOD231458907<<<<<<<<<<<<<<<",
		"7408122F1204159UTO<<<<<<<<<<<6",
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
	}
	cnie = []string{
		"I<MARZT04182739BE123456<<<<<<<",
		"8803045F3109306MAR<<<<<<<<<<<4",
		"EL<ALAOUI<<FATIMA<ZAHRA<<<<<<<",
	}
	td2 = []string{
		"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
		"D231458907UTO7408122F1204159<<<<<<<6",
	}
	td3 = []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}
)

func joined(lines []string, term string) string { return strings.Join(lines, term) + term }

// feed is bytes arriving at a time, given as an offset from the start.
type feed struct {
	at   time.Duration
	data string
}

// want is one expected candidate: its lines, or nil for a partial read.
type want []string

const partial = "partial"

type framingCase struct {
	name    string
	framing idscan.Framing
	feeds   []feed
	// expire, when set, is when Expire is called after the feeds.
	expire time.Duration
	want   []want // nil entry: a Partial candidate
	noise  *int   // bytes counted as noise; nil: not checked
}

// interChar is the inter-character timeout of the table.
const interChar = 300 * time.Millisecond

var anyEnd, crOnly, lfOnly, crlf = idscan.Framing{}, idscan.Framing{Terminator: idscan.TermCR},
	idscan.Framing{Terminator: idscan.TermLF}, idscan.Framing{Terminator: idscan.TermCRLF}
var stx = idscan.Framing{STXETX: true}

func n(i int) *int { return &i }

func at(ms int, data string) feed { return feed{time.Duration(ms) * time.Millisecond, data} }

// everyByte is the 256 byte values in order.
func everyByte() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}

func reversed(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

var framingCases = []framingCase{
	{name: "td1 cr", framing: anyEnd, feeds: []feed{at(0, joined(td1, "\r"))}, want: []want{td1}, noise: n(0)},
	{name: "td1 lf", framing: anyEnd, feeds: []feed{at(0, joined(td1, "\n"))}, want: []want{td1}, noise: n(0)},
	{name: "td1 crlf", framing: anyEnd, feeds: []feed{at(0, joined(td1, "\r\n"))}, want: []want{td1}, noise: n(0)},
	{name: "td1 configured cr", framing: crOnly, feeds: []feed{at(0, joined(td1, "\r"))}, want: []want{td1}},
	{name: "td1 configured lf", framing: lfOnly, feeds: []feed{at(0, joined(td1, "\n"))}, want: []want{td1}},
	{name: "td1 configured crlf", framing: crlf, feeds: []feed{at(0, joined(td1, "\r\n"))}, want: []want{td1}},
	{name: "td2", framing: anyEnd, feeds: []feed{at(0, joined(td2, "\r"))}, want: []want{td2}},
	{name: "td3", framing: anyEnd, feeds: []feed{at(0, joined(td3, "\r\n"))}, want: []want{td3}},
	{name: "cnie then td3 back to back", framing: anyEnd, feeds: []feed{at(0, joined(cnie, "\r")+joined(td3, "\r"))}, want: []want{cnie, td3}},
	{name: "byte by byte", framing: anyEnd, feeds: func() []feed {
		var f []feed
		for i, c := range joined(cnie, "\r\n") {
			f = append(f, at(i, string(c)))
		}
		return f
	}(), want: []want{cnie}},
	{name: "blank lines around", framing: anyEnd, feeds: []feed{at(0, "\r\n\r\n"+joined(td1, "\r\n\r\n"))}, want: []want{td1}, noise: n(0)},

	// Power-up noise and banners are dropped silently.
	{name: "banner then card", framing: anyEnd, feeds: []feed{at(0, "READY\r\nV2.14\r\n"), at(5, joined(cnie, "\r"))}, want: []want{cnie}, noise: n(10)},
	{name: "noise ended by cr", framing: anyEnd, feeds: []feed{at(0, "\x00\xff\x13\x88@#\r"), at(10, joined(cnie, "\r"))}, want: []want{cnie}, noise: n(6)},
	{name: "noise ended by a gap", framing: anyEnd, feeds: []feed{at(0, "\x00\xff\x13\x88@#"), at(400, joined(cnie, "\r"))}, want: []want{cnie}, noise: n(6)},
	{name: "every byte value then card", framing: anyEnd, feeds: []feed{at(0, everyByte()+"\r\n"+joined(cnie, "\r")+reversed(everyByte())+"\r\n"+joined(td3, "\r"))}, want: []want{cnie, td3}, noise: n(2 * 254)},
	{name: "overlong line of letters", framing: anyEnd, feeds: []feed{at(0, strings.Repeat("A", 100)+"\r")}, want: nil, noise: n(100)},
	{name: "short letters", framing: anyEnd, feeds: []feed{at(0, "OK<1\r")}, want: nil, noise: n(4)},

	// Partial reads are reported, then forgotten.
	{name: "half line then gap", framing: anyEnd, feeds: []feed{at(0, cnie[0][:15])}, expire: 400, want: []want{nil}},
	{name: "half line no gap yet", framing: anyEnd, feeds: []feed{at(0, cnie[0][:15])}, expire: 200, want: nil},
	{name: "half line then card after gap", framing: anyEnd, feeds: []feed{at(0, cnie[0][:15]), at(500, joined(cnie, "\r"))}, want: []want{nil, cnie}},
	{name: "short line ended", framing: anyEnd, feeds: []feed{at(0, cnie[0][:20]+"\r")}, want: []want{nil}},
	{name: "two of three lines then gap", framing: anyEnd, feeds: []feed{at(0, joined(cnie[:2], "\r"))}, expire: 400, want: []want{nil}},
	{name: "gap between lines", framing: anyEnd, feeds: []feed{at(0, joined(cnie[:1], "\r")), at(350, joined(cnie[1:], "\r"))}, expire: 700, want: []want{nil, nil}},
	{name: "smudged character", framing: anyEnd, feeds: []feed{at(0, joined([]string{cnie[0], cnie[1][:10] + "?" + cnie[1][11:], cnie[2]}, "\r"))}, want: []want{nil}},
	{name: "space inside a line", framing: anyEnd, feeds: []feed{at(0, joined([]string{cnie[0], cnie[1], "EL ALAOUI<<FATIMA<ZAHRA<<<<<<<"}, "\r"))}, want: []want{nil}},
	{name: "line of another layout", framing: anyEnd, feeds: []feed{at(0, joined(cnie[:1], "\r")+joined(td3, "\r"))}, want: []want{nil, td3}},
	{name: "garbage inside a card", framing: anyEnd, feeds: []feed{at(0, cnie[0]+"\r"+cnie[1][:8]+"\x00\xfe\x07"+cnie[1][8:]+"\r"+cnie[2]+"\r")}, expire: 400, want: []want{nil}},
	{name: "too many lines", framing: anyEnd, feeds: []feed{at(0, joined(append(append([]string{}, cnie...), cnie[0]), "\r"))}, expire: 400, want: []want{cnie, nil}},

	// Whatever the terminator configured, CR, LF and CR LF all end lines:
	// a reader set differently from the kiosk still reads.
	{name: "cr configured, crlf sent", framing: crOnly, feeds: []feed{at(0, joined(cnie, "\r\n"))}, want: []want{cnie}},
	{name: "crlf configured, cr sent", framing: crlf, feeds: []feed{at(0, joined(cnie, "\r"))}, want: []want{cnie}},
	{name: "lf configured, cr sent", framing: lfOnly, feeds: []feed{at(0, joined(cnie, "\r"))}, want: []want{cnie}},
	{name: "mixed line ends", framing: anyEnd, feeds: []feed{at(0, cnie[0]+"\r"+cnie[1]+"\n"+cnie[2]+"\r\n")}, want: []want{cnie}},

	// One attempt gives one partial, however many ways it went wrong.
	{name: "one partial per attempt", framing: anyEnd, feeds: []feed{at(0, cnie[0][:20]+"\r"+cnie[1][:12]+"\r"+cnie[2]+"\r")}, expire: 400, want: []want{nil}},
	{name: "a second attempt gets its own", framing: anyEnd, feeds: []feed{at(0, cnie[0][:20]+"\r"), at(400, cnie[0][:20]+"\r")}, want: []want{nil, nil}},
	{name: "a good read after a partial in the same burst", framing: anyEnd, feeds: []feed{at(0, cnie[0][:20]+"\r"+joined(cnie, "\r")+cnie[0][:20]+"\r")}, want: []want{nil, cnie, nil}},

	// STX/ETX framing.
	{name: "stx td1", framing: stx, feeds: []feed{at(0, "\x02"+joined(td1, "\r")+"\x03")}, want: []want{td1}, noise: n(0)},
	{name: "stx td3 crlf", framing: stx, feeds: []feed{at(0, "\x02"+joined(td3, "\r\n")+"\x03")}, want: []want{td3}},
	{name: "stx no last terminator", framing: stx, feeds: []feed{at(0, "\x02"+strings.Join(cnie, "\r")+"\x03")}, want: []want{cnie}},
	{name: "stx strict crlf no last terminator", framing: idscan.Framing{Terminator: idscan.TermCRLF, STXETX: true}, feeds: []feed{at(0, "\x02"+strings.Join(cnie, "\r\n")+"\r\x03")}, want: []want{cnie}},
	{name: "stx noise outside frames", framing: stx, feeds: []feed{at(0, "READY\r\n\x02"+joined(cnie, "\r")+"\x03junk")}, want: []want{cnie}, noise: n(11)},
	{name: "stx every byte value", framing: stx, feeds: []feed{at(0, everyByte()+"\r\n\x02"+joined(cnie, "\r")+"\x03"+reversed(everyByte())+"\r\n\x02"+joined(td3, "\r")+"\x03")}, want: []want{cnie, td3}},
	{name: "stx two lines of three", framing: stx, feeds: []feed{at(0, "\x02"+joined(cnie[:2], "\r")+"\x03")}, want: []want{nil}},
	{name: "stx half line then new frame", framing: stx, feeds: []feed{at(0, "\x02"+cnie[0][:15]), at(50, "\x02"+joined(cnie, "\r")+"\x03")}, want: []want{nil, cnie}},
	{name: "stx half line then gap", framing: stx, feeds: []feed{at(0, "\x02"+cnie[0][:15])}, expire: 400, want: []want{nil}},
	{name: "stx frame with noise", framing: stx, feeds: []feed{at(0, "\x02\x00\x01\xff\r\x03")}, want: nil},
	{name: "stx missing stx", framing: stx, feeds: []feed{at(0, joined(cnie, "\r")+"\x03")}, want: nil, noise: n(94)}, // the lines, their CRs and the ETX
	{name: "stx card then extra line", framing: stx, feeds: []feed{at(0, "\x02"+joined(append(append([]string{}, cnie...), cnie[2]), "\r")+"\x03")}, want: []want{nil}},
	{name: "stx empty frame", framing: stx, feeds: []feed{at(0, "\x02\x03")}, want: nil},
}

// run feeds a case to a fresh Assembler and returns what came out.
func (tc framingCase) run(t testing.TB) ([]want, *idscan.Assembler) {
	a := idscan.NewAssembler(tc.framing, interChar)
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var got []want
	collect := func(cs []idscan.Candidate) {
		for _, c := range cs {
			checkCandidate(t, c)
			if c.Partial {
				got = append(got, nil)
			} else {
				got = append(got, want(c.Lines))
			}
		}
	}
	for _, f := range tc.feeds {
		collect(a.Feed([]byte(f.data), t0.Add(f.at)))
		if n := a.Buffered(); n > idscan.MaxBuffered {
			t.Fatalf("Buffered() = %d, want at most %d", n, idscan.MaxBuffered)
		}
	}
	if tc.expire > 0 {
		collect(a.Expire(t0.Add(tc.expire * time.Millisecond)))
	}
	return got, a
}

// checkCandidate holds a candidate to Assembler's promise: a complete
// MRZ-shaped set of lines, or a partial without lines.
func checkCandidate(t testing.TB, c idscan.Candidate) {
	t.Helper()
	if c.Partial {
		if c.Lines != nil {
			t.Fatalf("partial candidate with lines %q", c.Lines)
		}
		return
	}
	n := map[int]int{30: 3, 36: 2, 44: 2}[len(c.Lines[0])]
	if n == 0 || len(c.Lines) != n {
		t.Fatalf("candidate of %d lines of %d characters, not an MRZ shape", len(c.Lines), len(c.Lines[0]))
	}
	for _, l := range c.Lines {
		if len(l) != len(c.Lines[0]) {
			t.Fatalf("candidate lines of different widths: %q", c.Lines)
		}
		for i := 0; i < len(l); i++ {
			if ch := l[i]; !(ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '<') {
				t.Fatalf("candidate line %q has %q outside the MRZ alphabet", l, ch)
			}
		}
	}
}

func TestAssembler(t *testing.T) {
	for _, tc := range framingCases {
		t.Run(tc.name, func(t *testing.T) {
			got, a := tc.run(t)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("candidates mismatch (-want +got, nil is a partial read):\n%s", diff)
			}
			st := a.Stats()
			var wantFull, wantPartial int
			for _, w := range tc.want {
				if w == nil {
					wantPartial++
				} else {
					wantFull++
				}
			}
			if st.Candidates != wantFull || st.Partials != wantPartial {
				t.Errorf("Stats() = %+v, want %d candidates and %d partials", st, wantFull, wantPartial)
			}
			if tc.noise != nil && st.NoiseBytes != *tc.noise {
				t.Errorf("Stats().NoiseBytes = %d, want %d", st.NoiseBytes, *tc.noise)
			}
		})
	}
}

func TestAssemblerCandidateTime(t *testing.T) {
	a := idscan.NewAssembler(idscan.Framing{}, interChar)
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	a.Feed([]byte(joined(cnie[:2], "\r")), t0)
	if d, ok := a.Deadline(); !ok || !d.Equal(t0.Add(interChar)) {
		t.Errorf("Deadline() = %v, %v; want %v, true", d, ok, t0.Add(interChar))
	}
	cs := a.Feed([]byte(joined(cnie[2:], "\r")), t0.Add(20*time.Millisecond))
	if len(cs) != 1 || !cs[0].At.Equal(t0.Add(20*time.Millisecond)) {
		t.Fatalf("Feed = %+v, want one candidate at the last byte's time", cs)
	}
	if _, ok := a.Deadline(); ok {
		t.Errorf("Deadline() after a complete read = _, true; want false")
	}
	// A partial read is dated by its last byte, not by when it expired.
	a.Feed([]byte(cnie[0][:12]), t0.Add(time.Second))
	cs = a.Expire(t0.Add(5 * time.Second))
	if len(cs) != 1 || !cs[0].Partial || !cs[0].At.Equal(t0.Add(time.Second)) {
		t.Errorf("Expire = %+v, want one partial dated %v", cs, t0.Add(time.Second))
	}
}

func TestFramingValidate(t *testing.T) {
	for _, tc := range []struct {
		f  idscan.Framing
		ok bool
	}{
		{idscan.Framing{}, true},
		{idscan.Framing{Terminator: "\r"}, true},
		{idscan.Framing{Terminator: "\n", STXETX: true}, true},
		{idscan.Framing{Terminator: "\r\n"}, true},
		{idscan.Framing{Terminator: "\n\r"}, false},
		{idscan.Framing{Terminator: ";"}, false},
	} {
		if err := tc.f.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(%+v) = %v, want ok %v", tc.f, err, tc.ok)
		}
	}
}
