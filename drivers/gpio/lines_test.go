package gpio

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var linesTests = []struct {
	in   string
	want Config
	err  string
}{
	{"presence=GPIO17,servicekey=GPIO27:low,paperlow=GPIO5:low,help=GPIO6,ready=GPIO22,busy=GPIO23,fault=GPIO24",
		Config{Presence: "GPIO17", ServiceKey: "GPIO27", PaperLow: "GPIO5", Help: "GPIO6", LEDReady: "GPIO22", LEDBusy: "GPIO23", LEDFault: "GPIO24",
			ActiveLow: InputFlags{ServiceKey: true, PaperLow: true}}, ""},
	{" presence = gpiochip0/17:nopull , ready=gpiochip0/22:low, fault=gpiochip0/24:LOW ",
		Config{Presence: "gpiochip0/17", NoPull: InputFlags{Presence: true}, LEDReady: "gpiochip0/22", LEDFault: "gpiochip0/24", LEDsActiveLow: true}, ""},
	{"", Config{}, ""},
	{"presence", Config{}, "not ROLE=LINE"},
	{"door=GPIO4", Config{}, "unknown role"},
	{"presence=GPIO4,help=GPIO4", Config{}, "both"},
	{"presence=GPIO4,presence=GPIO5", Config{}, "twice"},
	{"ready=GPIO22:low,busy=GPIO23", Config{}, "all be active low"},
	{"ready=GPIO22:nopull", Config{}, "nopull is for inputs"},
	{"help=GPIO6:inverted", Config{}, "unknown option"},
	{"help=", Config{}, "1 to 64"},
	{"help=GPIO 6", Config{}, "only ASCII"},
}

func TestParseLines(t *testing.T) {
	for _, tt := range linesTests {
		got, err := ParseLines(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseLines(%q) = %v, want an error containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseLines(%q) = %v", tt.in, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("ParseLines(%q) (-want +got):\n%s", tt.in, d)
		}
		again, err := ParseLines(got.Lines())
		if err != nil || !cmp.Equal(got, again) {
			t.Errorf("ParseLines(%q).Lines() = %q reads back as %+v, %v", tt.in, got.Lines(), again, err)
		}
	}
}

func FuzzParseLines(f *testing.F) {
	for _, tt := range linesTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseLines(s)
		if err != nil {
			return
		}
		again, err := ParseLines(c.Lines())
		if err != nil {
			t.Fatalf("ParseLines(%q).Lines() = %q: %v", s, c.Lines(), err)
		}
		if d := cmp.Diff(c, again); d != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, d)
		}
	})
}
