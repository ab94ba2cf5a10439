package escpos

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Status bytes as the Epson reference describes them: fixed bits 0x12,
// then the bits that are set.
var statusTests = []struct {
	name  string
	bytes [4]byte
	want  Status
	fault Fault
}{
	{"ready", [4]byte{0x12, 0x12, 0x12, 0x12}, Status{}, NoFault},
	{"paper near end", [4]byte{0x12, 0x12, 0x12, 0x1E}, Status{PaperNearEnd: true}, NoFault},
	{"paper out, stopped", [4]byte{0x1A, 0x32, 0x12, 0x7E}, Status{Offline: true, PaperEndStop: true, PaperNearEnd: true, PaperEnd: true}, FaultPaper},
	{"cover open", [4]byte{0x1A, 0x16, 0x12, 0x12}, Status{Offline: true, CoverOpen: true}, FaultCover},
	{"cover open and paper out", [4]byte{0x1A, 0x36, 0x12, 0x72}, Status{Offline: true, CoverOpen: true, PaperEndStop: true, PaperEnd: true}, FaultCover},
	{"cutter jammed", [4]byte{0x1A, 0x52, 0x1A, 0x12}, Status{Offline: true, Error: true, CutterError: true}, FaultCutter},
	{"unrecoverable", [4]byte{0x1A, 0x52, 0x32, 0x12}, Status{Offline: true, Error: true, UnrecoverableError: true}, FaultFailed},
	{"head too hot", [4]byte{0x1A, 0x52, 0x52, 0x12}, Status{Offline: true, Error: true, AutoRecoverableError: true}, FaultOffline},
	{"feed button", [4]byte{0x5A, 0x1A, 0x12, 0x12}, Status{Offline: true, FeedButton: true, FeedingPaper: true}, FaultOffline},
	{"one end sensor bit", [4]byte{0x12, 0x12, 0x12, 0x32}, Status{PaperEnd: true}, FaultPaper},
}

func TestDecodeStatus(t *testing.T) {
	for _, tt := range statusTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeAll(tt.bytes)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeAll(% x) (-want +got):\n%s", tt.bytes, diff)
			}
			if f := got.Fault(); f != tt.fault {
				t.Errorf("Fault() = %q, want %q", f, tt.fault)
			}
		})
	}
}

func TestDecodeStatusRefuses(t *testing.T) {
	for _, b := range []byte{0x00, 0xFF, 0x13, 0x92, 0x10, 0x02, 0x37, 0x25} {
		var s Status
		if err := s.Decode(PaperSensor, b); !errors.Is(err, ErrStatusByte) {
			t.Errorf("Decode(4, %#x) = %v, want ErrStatusByte", b, err)
		}
	}
	var s Status
	if err := s.Decode(5, 0x12); err == nil {
		t.Errorf("Decode(5, …) = nil error")
	}
}

// reserved are the bits each kind leaves undefined (ignored on decode).
var reserved = map[StatusKind]byte{PrinterStatus: 0x04, OfflineCause: 0, ErrorCause: 0, PaperSensor: 0}

// FuzzStatus: any byte either is refused for its fixed bits or decodes to
// a status that encodes back to it (reserved bits aside; a paper sensor
// pair with one bit set comes back with both).
func FuzzStatus(f *testing.F) {
	for _, tt := range statusTests {
		for i, b := range tt.bytes {
			f.Add(byte(i+1), b)
		}
	}
	f.Add(byte(3), byte(0xFF))
	f.Fuzz(func(t *testing.T, kind, b byte) {
		k := StatusKind(kind%4 + 1)
		var s Status
		err := s.Decode(k, b)
		if IsStatusByte(b) != (err == nil) {
			t.Fatalf("Decode(%d, %#x) = %v, IsStatusByte = %v", k, b, err, IsStatusByte(b))
		}
		if err != nil {
			return
		}
		want := b &^ reserved[k]
		if k == PaperSensor {
			if want&0x0C != 0 {
				want |= 0x0C
			}
			if want&0x60 != 0 {
				want |= 0x60
			}
		}
		if got := s.Encode(k); got != want {
			t.Fatalf("Encode(Decode(%d, %#x)) = %#x, want %#x", k, b, got, want)
		}
		_ = s.Fault()
		_ = s.String()
	})
}
