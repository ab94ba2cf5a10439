package audit

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// chain builds n entries as a kiosk in Casablanca would write them.
func chain(t testing.TB, n int) []Entry {
	t.Helper()
	var h Head
	out := make([]Entry, 0, n)
	for i := range n {
		actor, action := System, "request.submitted"
		switch i % 4 {
		case 1:
			actor, action = Citizen, "session.started"
		case 2:
			actor, action = Technician, "technician.printer_test"
		case 3:
			actor, action = Registry, "request.acknowledged"
		}
		e, err := h.Next(t0.Add(time.Duration(i)*time.Second), actor, action, fmt.Sprintf("req-%04d", i+1), "court=tpi-casablanca")
		if err != nil {
			t.Fatalf("Next() = %v", err)
		}
		out = append(out, e)
		h = e.Head()
	}
	return out
}

func TestNextRefuses(t *testing.T) {
	tests := []struct {
		name    string
		at      time.Time
		actor   Actor
		action  string
		subject string
		detail  string
		want    string
	}{
		{"unknown actor", t0, 9, "a", "", "", "unknown actor"},
		{"empty action", t0, System, "", "", "", "empty action"},
		{"upper-case action", t0, System, "Request.Submitted", "", "", "not allowed"},
		{"long action", t0, System, strings.Repeat("a", MaxAction+1), "", "", "action is 65 bytes"},
		{"control in subject", t0, System, "a", "req\n1", "", "control character"},
		{"long detail", t0, System, "a", "", strings.Repeat("d", MaxDetail+1), "detail is 1025 bytes"},
		{"invalid UTF-8", t0, System, "a", "", "\xff", "not valid UTF-8"},
		{"zero time", time.Time{}, System, "a", "", "", "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Head{}.Next(tt.at, tt.actor, tt.action, tt.subject, tt.detail)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Next() = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestEntryRoundTrip(t *testing.T) {
	for _, e := range chain(t, 4) {
		b, err := e.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary() = %v", err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("Decode() = %v", err)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Errorf("Decode(MarshalBinary(e)) mismatch (-want +got):\n%s", diff)
		}
	}
}

// decodeCases is shared by TestDecode and FuzzDecode.
func decodeCases(t testing.TB) []struct {
	name    string
	in      []byte
	wantErr string
} {
	e := chain(t, 2)[1]
	good, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	with := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	actorAt := 1 + 8 + 8
	return []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"valid", good, ""},
		{"empty", nil, "truncated"},
		{"truncated", good[:len(good)-1], "truncated"},
		{"trailing byte", append(bytes.Clone(good), 0), "trailing"},
		{"version 2", with(func(b []byte) []byte { b[0] = 2; return b }), "version 2"},
		{"sequence 0", with(func(b []byte) []byte { copy(b[1:9], make([]byte, 8)); return b }), "sequence 0"},
		{"time before 1970", with(func(b []byte) []byte { b[9] = 0xff; return b }), "out of range"},
		{"unknown actor", with(func(b []byte) []byte { b[actorAt] = 0; return b }), "unknown actor"},
		{"action length past end", with(func(b []byte) []byte { b[actorAt+1] = 0xff; return b }), "truncated"},
		{"upper-case action", with(func(b []byte) []byte { b[actorAt+2] = 'S'; return b }), "not allowed"},
	}
}

func TestDecode(t *testing.T) {
	for _, tt := range decodeCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Decode() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Decode() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, tt := range decodeCases(f) {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(b)
		if err != nil {
			return
		}
		out, err := e.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary() of a decoded entry = %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("MarshalBinary(Decode(%x)) = %x, want the input", b, out)
		}
	})
}

func TestHeadBinary(t *testing.T) {
	h := chain(t, 3)[2].Head()
	b, _ := h.MarshalBinary()
	var got Head
	if err := got.UnmarshalBinary(b); err != nil || got != h {
		t.Errorf("UnmarshalBinary(MarshalBinary(%v)) = %v, %v", h, got, err)
	}
	for _, bad := range [][]byte{nil, b[:39], append(bytes.Clone(b), 0), make([]byte, 7), append(make([]byte, 8), b[8:]...)} {
		if err := new(Head).UnmarshalBinary(bad); err == nil {
			t.Errorf("UnmarshalBinary(%x) = nil, want error", bad)
		}
	}
}

func FuzzHead(f *testing.F) {
	b, _ := chain(f, 1)[0].Head().MarshalBinary()
	f.Add(b)
	f.Add(make([]byte, headLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Head
		if h.UnmarshalBinary(b) != nil {
			return
		}
		out, _ := h.MarshalBinary()
		if !bytes.Equal(out, b) {
			t.Fatalf("MarshalBinary(UnmarshalBinary(%x)) = %x", b, out)
		}
	})
}

func TestActorNames(t *testing.T) {
	for _, a := range []Actor{System, Citizen, Technician, Registry} {
		got, err := ParseActor(a.String())
		if err != nil || got != a {
			t.Errorf("ParseActor(%q) = %v, %v; want %v", a.String(), got, err, a)
		}
	}
	if _, err := ParseActor("clerk"); err == nil {
		t.Errorf("ParseActor(clerk) = nil error, want error")
	}
}

func TestNextAfterGarbageHead(t *testing.T) {
	if _, err := (Head{Hash: Hash{1}}).Next(t0, System, "a", "", ""); err == nil {
		t.Errorf("Next() on head 0 with a hash = nil error, want error")
	}
}
