package payterm

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var wireTable = []struct {
	line string
	want Message
	ok   bool
}{
	{"PAY 9f2c-01 2000 MAD card", Message{Verb: "PAY", Ref: "9f2c-01", Amount: 2000, Currency: "MAD", Method: "card"}, true},
	{"ACK 9f2c-01", Message{Verb: "ACK", Ref: "9f2c-01"}, true},
	{"RESULT 9f2c-01 APPROVED A000123", Message{Verb: "RESULT", Ref: "9f2c-01", Outcome: Approved, Detail: "A000123"}, true},
	{"RESULT r1 DECLINED insufficient_funds", Message{Verb: "RESULT", Ref: "r1", Outcome: Declined, Detail: "insufficient_funds"}, true},
	{"RESULT r1 PENDING", Message{Verb: "RESULT", Ref: "r1", Outcome: Pending}, true},
	{"RESULT r1 UNKNOWN", Message{Verb: "RESULT", Ref: "r1", Outcome: Unknown}, true},
	{"QUERY r1", Message{Verb: "QUERY", Ref: "r1"}, true},
	{"ABORT r1", Message{Verb: "ABORT", Ref: "r1"}, true},
	{"ERR bad_message", Message{Verb: "ERR", Detail: "bad_message"}, true},
	{"", Message{}, false},
	{"PAY r1 0 MAD card", Message{}, false},
	{"PAY r1 -5 MAD card", Message{}, false},
	{"PAY r1 +5 MAD card", Message{}, false},
	{"PAY r1 007 MAD card", Message{}, false},
	{"PAY r1 5 mad card", Message{}, false},
	{"PAY r1 5 MAD", Message{}, false},
	{"PAY r/1 5 MAD card", Message{}, false},
	{"RESULT r1 APPROVED", Message{}, false},
	{"RESULT r1 PENDING x", Message{}, false},
	{"RESULT r1 MAYBE x", Message{}, false},
	{"ACK  r1", Message{}, false},
	{"HELLO r1", Message{}, false},
	{"ACK " + strings.Repeat("a", 65), Message{}, false},
	{strings.Repeat("x", MaxLine+1), Message{}, false},
}

func TestDecode(t *testing.T) {
	for _, tt := range wireTable {
		got, err := Decode(tt.line)
		if (err == nil) != tt.ok {
			t.Errorf("Decode(%q) error = %v, want ok %v", tt.line, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Decode(%q) (-want +got):\n%s", tt.line, diff)
		}
		b, err := got.Encode()
		if err != nil || string(b) != tt.line+"\r\n" {
			t.Errorf("Decode(%q).Encode() = %q, %v, want the line back", tt.line, b, err)
		}
	}
}

func TestLineReader(t *testing.T) {
	var r lineReader
	lines, over := r.feed([]byte("ACK a\r\nRES"))
	if diff := cmp.Diff([]string{"ACK a"}, lines); diff != "" || over != 0 {
		t.Errorf("first feed: %s, overlong %d", diff, over)
	}
	lines, _ = r.feed([]byte("ULT a PENDING\n" + strings.Repeat("z", MaxLine+10) + "\nACK b\n"))
	if diff := cmp.Diff([]string{"RESULT a PENDING", "ACK b"}, lines); diff != "" {
		t.Errorf("second feed (-want +got):\n%s", diff)
	}
}

func FuzzDecode(f *testing.F) {
	for _, tt := range wireTable {
		f.Add(tt.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		m, err := Decode(line)
		if err != nil {
			return
		}
		b, err := m.Encode()
		if err != nil {
			t.Fatalf("Decode(%q) = %+v, which does not encode: %v", line, m, err)
		}
		back, err := Decode(strings.TrimSuffix(string(b), "\r\n"))
		if err != nil || back != m {
			t.Fatalf("round trip of %q: %+v, %v", line, back, err)
		}
	})
}
