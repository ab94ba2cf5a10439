package qrscan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const receiptQR = "https://suivi.justice.gov.ma/t/K7MX4HQ9XR33"

var (
	crFraming   = Framing{Suffix: SuffixCR, MaxPayload: 64}
	crlfFraming = Framing{Suffix: SuffixCRLF, MaxPayload: 64}
	stxFraming  = Framing{Prefix: "\x02", Suffix: SuffixCR, MaxPayload: 64}
	aimFraming  = Framing{Prefix: "]Q1", Suffix: SuffixTab, MaxPayload: 64}
	tinyFraming = Framing{Suffix: SuffixLF, MaxPayload: 8}
)

type framerCase struct {
	name    string
	framing Framing
	chunks  []string // fed in turn: splits are part of the case
	want    []Frame
	pending int
}

func code(s string, length, skipped int) Frame {
	return Frame{Kind: FrameCode, Payload: s, Length: length, Skipped: skipped}
}

// framerCases is the shared table: TestFramer checks it, FuzzFramer is
// seeded from it.
var framerCases = []framerCase{
	{"one code CR", crFraming, []string{receiptQR + "\r"}, []Frame{code(receiptQR, 43, 0)}, 0},
	{"one code LF", Framing{Suffix: SuffixLF, MaxPayload: 64}, []string{"12345678-RF-2024\n"}, []Frame{code("12345678-RF-2024", 16, 0)}, 0},
	{"one code CRLF", crlfFraming, []string{"12345678-RF-2024\r\n"}, []Frame{code("12345678-RF-2024", 16, 0)}, 0},
	{"one code TAB with AIM prefix", aimFraming, []string{"]Q1K7MX4HQ9XR33\t"}, []Frame{code("K7MX4HQ9XR33", 15, 0)}, 0},
	{"two codes in one read", crFraming, []string{"AAA\rBBB\r"}, []Frame{code("AAA", 3, 0), code("BBB", 3, 0)}, 0},
	{"code split byte by byte", crlfFraming, strings.Split("K7MX\r\n", ""), []Frame{code("K7MX", 4, 0)}, 0},
	{"CRLF split between CR and LF", crlfFraming, []string{"K7MX\r", "\n"}, []Frame{code("K7MX", 4, 0)}, 0},
	{"CR inside a CRLF line is trimmed", crlfFraming, []string{"K7MX\r\r\n"}, []Frame{code("K7MX", 5, 0)}, 0},
	{"scanner sends CRLF, kiosk expects CR", crFraming, []string{"AAA\r\nBBB\r\n"}, []Frame{code("AAA", 3, 0), code("BBB", 4, 0)}, 1},
	{"empty lines skipped", crFraming, []string{"\r\r\n\r\t\r"}, nil, 0},
	{"half a line stays pending", crFraming, []string{"https://suivi.just"}, nil, 18},
	{"code then half a line", crFraming, []string{"AAA\rBB"}, []Frame{code("AAA", 3, 0)}, 2},
	{"noise before the STX prefix", stxFraming, []string{"\x00\xff\x13\x02K7MX4HQ9XR33\r"}, []Frame{code("K7MX4HQ9XR33", 16, 3)}, 0},
	{"line without the prefix", stxFraming, []string{"K7MX4HQ9XR33\r"}, []Frame{{Kind: FrameGarbled, Payload: "K7MX4HQ9XR33", Length: 12}}, 0},
	{"prefix alone: an empty code, skipped", stxFraming, []string{"\x02\r"}, nil, 0},
	{"noise then prefix alone", stxFraming, []string{"zz\x02\r"}, []Frame{{Kind: FrameGarbled, Length: 3, Skipped: 2}}, 0},
	{"garbage bytes", crFraming, []string{"\x00\x01\xfe\xff\r"}, []Frame{{Kind: FrameGarbled, Payload: "\x00\x01\xfe\xff", Length: 4}}, 0},
	{"invalid UTF-8", crFraming, []string{"caf\xe9\r"}, []Frame{{Kind: FrameGarbled, Payload: "caf\xe9", Length: 4}}, 0},
	{"escape inside", crFraming, []string{"K7\x1bMX\r"}, []Frame{{Kind: FrameGarbled, Payload: "K7\x1bMX", Length: 5}}, 0},
	{"Arabic text is text", crFraming, []string{"محكمة\r"}, []Frame{code("محكمة", 10, 0)}, 0},
	{"exactly MaxPayload", tinyFraming, []string{"ABCDEFGH\n"}, []Frame{code("ABCDEFGH", 8, 0)}, 0},
	{"one over MaxPayload", tinyFraming, []string{"ABCDEFGHI\n"}, []Frame{{Kind: FrameTooLong, Length: 9}}, 0},
	{"far over MaxPayload, then a code", tinyFraming, []string{strings.Repeat("X", 1000), "\nOK\n"}, []Frame{{Kind: FrameTooLong, Length: 1000}, code("OK", 2, 0)}, 0},
	{"too long CRLF split at the end", Framing{Suffix: SuffixCRLF, MaxPayload: 4}, []string{"ABCDEFGH\r", "\nOK\r\n"}, []Frame{{Kind: FrameTooLong, Length: 8}, code("OK", 2, 0)}, 0},
	{"too long after the prefix", Framing{Prefix: "\x02", Suffix: SuffixCR, MaxPayload: 4}, []string{"\x02ABCDE\r"}, []Frame{{Kind: FrameTooLong, Length: 6}}, 0},
}

func TestFramer(t *testing.T) {
	for _, tc := range framerCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFramer(tc.framing)
			if err != nil {
				t.Fatalf("NewFramer(%+v) = %v", tc.framing, err)
			}
			var got []Frame
			for _, c := range tc.chunks {
				f.Feed([]byte(c), func(fr Frame) { got = append(got, fr) })
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Feed(%q) frames mismatch (-want +got):\n%s", tc.chunks, diff)
			}
			if p := f.Pending(); p != tc.pending {
				t.Errorf("Pending() = %d, want %d", p, tc.pending)
			}
			if n := f.Reset(); n != tc.pending || f.Pending() != 0 {
				t.Errorf("Reset() = %d then Pending() = %d, want %d then 0", n, f.Pending(), tc.pending)
			}
		})
	}
}

func TestFramerResetDropsHalfLine(t *testing.T) {
	f, err := NewFramer(crFraming)
	if err != nil {
		t.Fatal(err)
	}
	var got []Frame
	emit := func(fr Frame) { got = append(got, fr) }
	f.Feed([]byte("https://suivi.justice.gov.ma/t/K7MX"), emit) // the scanner stopped mid-code
	if n := f.Reset(); n != 35 {
		t.Errorf("Reset() = %d, want 35", n)
	}
	f.Feed([]byte("12345678-RF-2024\r"), emit)
	if diff := cmp.Diff([]Frame{code("12345678-RF-2024", 16, 0)}, got); diff != "" {
		t.Errorf("frames after Reset mismatch (-want +got):\n%s", diff)
	}
}

func TestNewFramerRefuses(t *testing.T) {
	for _, f := range []Framing{
		{Suffix: "NUL", MaxPayload: 10},
		{Suffix: SuffixCR, MaxPayload: 0},
		{Prefix: "A\rB", Suffix: SuffixCR, MaxPayload: 10},
	} {
		if _, err := NewFramer(f); err == nil || !strings.HasPrefix(err.Error(), "qrscan: ") {
			t.Errorf("NewFramer(%+v) = %v, want a qrscan: error", f, err)
		}
	}
}

func TestTriggerFor(t *testing.T) {
	tests := []struct {
		profile     TriggerProfile
		start, stop string
		oneShot     bool
		want        Trigger
		wantErr     bool
	}{
		{profile: TriggerNone, want: Trigger{Profile: TriggerNone}},
		{profile: "", want: Trigger{Profile: TriggerNone}},
		{profile: TriggerHoneywell, want: Trigger{Profile: TriggerHoneywell, Start: []byte{0x16, 0x54, 0x0d}, Stop: []byte{0x16, 0x55, 0x0d}, OneShot: true}},
		{profile: TriggerCustom, start: "\x1bS", stop: "\x1bE", want: Trigger{Profile: TriggerCustom, Start: []byte("\x1bS"), Stop: []byte("\x1bE")}},
		{profile: TriggerCustom, start: "E", stop: "D", oneShot: true, want: Trigger{Profile: TriggerCustom, Start: []byte("E"), Stop: []byte("D"), OneShot: true}},
		{profile: TriggerCustom, start: "", stop: "D", wantErr: true},
		{profile: TriggerCustom, start: "T", stop: "T", wantErr: true},
		{profile: TriggerCustom, start: "\x16T", stop: "T", wantErr: true},
		{profile: "zebra-ssi", wantErr: true},
	}
	for _, tc := range tests {
		got, err := TriggerFor(tc.profile, tc.start, tc.stop, tc.oneShot)
		if (err != nil) != tc.wantErr {
			t.Errorf("TriggerFor(%q, %q, %q) error = %v, want error %v", tc.profile, tc.start, tc.stop, err, tc.wantErr)
			continue
		}
		if diff := cmp.Diff(tc.want, got); !tc.wantErr && diff != "" {
			t.Errorf("TriggerFor(%q, %q, %q) mismatch (-want +got):\n%s", tc.profile, tc.start, tc.stop, diff)
		}
	}
}

func TestCommandReader(t *testing.T) {
	hw, _ := TriggerFor(TriggerHoneywell, "", "", false)
	custom, _ := TriggerFor(TriggerCustom, "E", "D", false)
	tests := []struct {
		name   string
		t      Trigger
		chunks []string
		want   []Command
	}{
		{"start", hw, []string{"\x16T\r"}, []Command{CommandStart}},
		{"start then stop", hw, []string{"\x16T\r\x16U\r"}, []Command{CommandStart, CommandStop}},
		{"split", hw, []string{"\x16", "T", "\r"}, []Command{CommandStart}},
		{"menu command ignored", hw, []string{"\x16M\r232BAD9.", "\x16T\r"}, []Command{CommandStart}},
		{"noise before", hw, []string{"\x00\xff\x16\x16T\r"}, []Command{CommandStart}},
		{"SYN T without CR", hw, []string{"\x16T\x16U\r"}, []Command{CommandStop}},
		{"single-byte commands", custom, []string{"EDxE"}, []Command{CommandStart, CommandStop, CommandStart}},
		{"no commands for none", Trigger{Profile: TriggerNone}, []string{"\x16T\r"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewCommandReader(tc.t)
			var got []Command
			for _, c := range tc.chunks {
				r.Feed([]byte(c), func(c Command) { got = append(got, c) })
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Feed(%q) mismatch (-want +got):\n%s", tc.chunks, diff)
			}
		})
	}
}

var fuzzFramings = []Framing{crFraming, crlfFraming, stxFraming, aimFraming, tinyFraming}

func FuzzFramer(f *testing.F) {
	for _, tc := range framerCases {
		which := 0
		for i, fr := range fuzzFramings {
			if fr == tc.framing {
				which = i
			}
		}
		f.Add([]byte(strings.Join(tc.chunks, "")), uint8(which), uint8(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, which, split uint8) {
		framing := fuzzFramings[int(which)%len(fuzzFramings)]
		whole, _ := NewFramer(framing)
		pieces, _ := NewFramer(framing)
		capBefore := cap(whole.buf)

		var a, b []Frame
		whole.Feed(data, func(fr Frame) { a = append(a, fr) })
		// The same bytes in pieces of 1..8 bytes give the same frames.
		step := int(split)%8 + 1
		for i := 0; i < len(data); i += step {
			pieces.Feed(data[i:min(i+step, len(data))], func(fr Frame) { b = append(b, fr) })
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Fatalf("frames depend on how the bytes were split (-whole +pieces):\n%s", diff)
		}
		if cap(whole.buf) != capBefore {
			t.Fatalf("framer memory grew from %d to %d", capBefore, cap(whole.buf))
		}
		suffix, _ := framing.Suffix.Bytes()
		for _, fr := range a {
			switch fr.Kind {
			case FrameCode:
				if fr.Payload == "" || len(fr.Payload) > framing.MaxPayload || !IsText([]byte(fr.Payload)) {
					t.Errorf("code %q: empty, over %d bytes or not text", fr.Payload, framing.MaxPayload)
				}
				if bytes.Contains([]byte(fr.Payload), suffix) {
					t.Errorf("code %q holds the suffix", fr.Payload)
				}
			case FrameTooLong:
				if fr.Payload != "" {
					t.Errorf("too-long frame kept %d bytes", len(fr.Payload))
				}
			case FrameGarbled:
				if len(fr.Payload) > cap(whole.buf) {
					t.Errorf("garbled frame of %d bytes, over the framer's %d", len(fr.Payload), cap(whole.buf))
				}
			default:
				t.Errorf("frame of kind %v", fr.Kind)
			}
		}
		// Whatever came before, a Reset and a well-formed code read back.
		c := strings.Trim(strings.ToValidUTF8(string(data), ""), "\r\n\t")
		c = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				return -1
			}
			return r
		}, c)
		if c == "" || len(c) > framing.MaxPayload || strings.Contains(c, framing.Prefix) {
			return
		}
		whole.Reset()
		var got []Frame
		whole.Feed([]byte(framing.Prefix+c+string(suffix)), func(fr Frame) { got = append(got, fr) })
		if len(got) != 1 || got[0].Kind != FrameCode || got[0].Payload != c {
			t.Errorf("Feed(prefix+%q+suffix) after Reset = %+v, want the code back", c, got)
		}
	})
}

func FuzzCommandReader(f *testing.F) {
	f.Add([]byte("\x16T\r\x16U\r"))
	f.Add([]byte("\x16M\r232BAD9.\x16T\r"))
	f.Add([]byte("\x16\x16T\r\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		hw, _ := TriggerFor(TriggerHoneywell, "", "", false)
		r := NewCommandReader(hw)
		var got []Command
		r.Feed(data, func(c Command) { got = append(got, c) })
		// The reader finds exactly the non-overlapping commands in data.
		want := 0
		for i := 0; i+3 <= len(data); {
			if bytes.Equal(data[i:i+3], HoneywellStart) || bytes.Equal(data[i:i+3], HoneywellStop) {
				want++
				i += 3
				continue
			}
			i++
		}
		if len(got) != want {
			t.Errorf("Feed(%q) found %d commands, want %d", data, len(got), want)
		}
		if cap(r.buf) != 3 {
			t.Errorf("reader memory is %d bytes, want 3", cap(r.buf))
		}
	})
}
