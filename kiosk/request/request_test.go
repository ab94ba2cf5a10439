package request

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var (
	created = time.Date(2026, time.March, 14, 9, 30, 12, 345678901, time.UTC)
	later   = created.Add(90 * time.Second)
)

// bulletin3 is a queued bulletin n°3 request from a Casablanca kiosk.
func bulletin3() Request {
	return Request{
		ID:          "0123456789abcdef0123456789abcdef",
		Tracking:    "K7MX4HQ9XR33",
		Service:     "bulletin3",
		Court:       "ma-tpi-casablanca",
		Fee:         2000,
		Currency:    "MAD",
		State:       Queued,
		CreatedAt:   created,
		UpdatedAt:   created,
		KioskID:     "ma-casablanca-tpi-01",
		PackVersion: 7,
	}
}

func TestNewID(t *testing.T) {
	a, err := NewID(nil)
	if err != nil || !validID(a) {
		t.Fatalf("NewID(nil) = %q, %v, want 32 hex digits", a, err)
	}
	if b, _ := NewID(nil); a == b {
		t.Errorf("NewID twice = %q", a)
	}
	got, err := NewID(bytes.NewReader(bytes.Repeat([]byte{0xAB}, 16)))
	if want := strings.Repeat("ab", 16); err != nil || got != want {
		t.Errorf("NewID(0xAB…) = %q, %v, want %q", got, err, want)
	}
	if _, err := NewID(bytes.NewReader(make([]byte, 15))); err == nil {
		t.Errorf("NewID(short reader) succeeded, want error")
	}
}

func TestMoveTo(t *testing.T) {
	tests := []struct {
		name    string
		from    func() Request
		to      State
		reason  string
		at      time.Time
		wantErr string
	}{
		{name: "send", from: bulletin3, to: Sent, at: later},
		{name: "reject with reason", from: at(Sent), to: Rejected, reason: "parents' names do not match the civil-status record", at: later},
		{name: "reject without reason", from: at(Sent), to: Rejected, at: later, wantErr: "request: reject 0123456789abcdef0123456789abcdef: a reason is required"},
		{name: "reason for another state", from: at(Sent), to: Acknowledged, reason: "ok", at: later, wantErr: "request: move 0123456789abcdef0123456789abcdef to acknowledged: a reason is only given for a rejection"},
		{name: "skip", from: at(Sent), to: Ready, at: later, wantErr: "request: illegal transition from sent to ready (request 0123456789abcdef0123456789abcdef)"},
		{name: "out of terminal", from: at(Delivered), to: Ready, at: later, wantErr: "request: illegal transition from delivered to ready (request 0123456789abcdef0123456789abcdef)"},
		{name: "no time", from: bulletin3, to: Sent, wantErr: "request: move 0123456789abcdef0123456789abcdef to sent: no time given"},
		{name: "queue a draft without tracking number", from: draft, to: Queued, at: later, wantErr: "request: move 0123456789abcdef0123456789abcdef to queued: no tracking number"},
		{name: "cancel a draft", from: draft, to: Cancelled, at: later},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.from()
			before := r
			err := r.MoveTo(tt.to, tt.at, tt.reason)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("MoveTo(%s) = %v, want %s", tt.to, err, tt.wantErr)
				}
				if diff := cmp.Diff(before, r); diff != "" {
					t.Errorf("MoveTo(%s) failed but changed the request (-before +after):\n%s", tt.to, diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("MoveTo(%s) = %v, want nil", tt.to, err)
			}
			want := before
			want.State, want.UpdatedAt, want.RejectReason = tt.to, tt.at, tt.reason
			if diff := cmp.Diff(want, r); diff != "" {
				t.Errorf("after MoveTo(%s) (-want +got):\n%s", tt.to, diff)
			}
			if err := r.Validate(); err != nil {
				t.Errorf("after MoveTo(%s): Validate() = %v", tt.to, err)
			}
		})
	}
	r := bulletin3()
	if err := r.MoveTo(Ready, later, ""); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("MoveTo(ready) from queued = %v, want %v", err, ErrIllegalTransition)
	}
}

func at(s State) func() Request {
	return func() Request {
		r := bulletin3()
		r.State = s
		if s == Rejected {
			r.RejectReason = "wrong birth place"
		}
		return r
	}
}

func draft() Request {
	r := bulletin3()
	r.State, r.Tracking = Draft, ""
	return r
}

// TestWholeLife walks one request from draft to delivery, with a failed send.
func TestWholeLife(t *testing.T) {
	r := draft()
	r.Tracking = "K7MX4HQ9XR33"
	for i, to := range []State{Queued, Sent, Queued, Sent, Acknowledged, InProcessing, Ready, Delivered} {
		if err := r.MoveTo(to, later.Add(time.Duration(i)*time.Minute), ""); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if !r.State.Terminal() {
		t.Errorf("final state %s is not terminal", r.State)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Request)
		ok     bool
	}{
		{"queued", func(*Request) {}, true},
		{"draft without tracking", func(r *Request) { r.State, r.Tracking = Draft, "" }, true},
		{"no currency", func(r *Request) { r.Currency = "" }, true},
		{"free service", func(r *Request) { r.Fee = 0 }, true},
		{"upper-case id", func(r *Request) { r.ID = strings.ToUpper(r.ID) }, false},
		{"short id", func(r *Request) { r.ID = r.ID[:30] }, false},
		{"unknown state", func(r *Request) { r.State = "lost" }, false},
		{"bad tracking", func(r *Request) { r.Tracking = "K7MX4HQ9XR34" }, false},
		{"grouped tracking", func(r *Request) { r.Tracking = "K7MX-4HQ9-XR33" }, false},
		{"queued without tracking", func(r *Request) { r.Tracking = "" }, false},
		{"rejected without reason", func(r *Request) { r.State = Rejected }, false},
		{"reason while queued", func(r *Request) { r.RejectReason = "no" }, false},
		{"negative fee", func(r *Request) { r.Fee = -1 }, false},
		{"lower-case currency", func(r *Request) { r.Currency = "mad" }, false},
		{"currency name", func(r *Request) { r.Currency = "dirham" }, false},
		{"negative pack version", func(r *Request) { r.PackVersion = -1 }, false},
		{"invalid utf-8 court", func(r *Request) { r.Court = "tpi-\xff" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bulletin3()
			tt.change(&r)
			err := r.Validate()
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
			if _, merr := r.MarshalBinary(); (merr == nil) != tt.ok {
				t.Errorf("MarshalBinary() error = %v, want ok %v", merr, tt.ok)
			}
		})
	}
}

// requests are valid requests the round-trip tests and the fuzz seeds share.
func requests() map[string]Request {
	rejected := at(Rejected)()
	rejected.RejectReason = "اسم الأب غير مطابق — nom du père non conforme"
	zeroTimes := draft()
	zeroTimes.CreatedAt, zeroTimes.UpdatedAt = time.Time{}, time.Time{}
	old := bulletin3()
	old.CreatedAt = time.Date(1970, 1, 1, 0, 0, 0, 1, time.UTC).Add(-time.Hour)
	big := bulletin3()
	big.Fee, big.PackVersion = 1<<62, 1<<30
	togo := bulletin3()
	togo.Currency, togo.Fee, togo.Court, togo.KioskID = "XOF", 500, "tg-tpi-lome", "tg-lome-01"
	return map[string]Request{
		"queued": bulletin3(), "rejected": rejected, "draft zero times": zeroTimes,
		"before 1970": old, "large numbers": big, "togo": togo,
	}
}

func TestBinaryRoundTrip(t *testing.T) {
	for name, r := range requests() {
		t.Run(name, func(t *testing.T) {
			b, err := r.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if b[0] != formatV1 {
				t.Errorf("first byte = %d, want format version %d", b[0], formatV1)
			}
			var got Request
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatalf("UnmarshalBinary(MarshalBinary()) = %v", err)
			}
			if diff := cmp.Diff(r, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBinaryDropsTimeZone(t *testing.T) {
	r := bulletin3()
	casablanca := time.FixedZone("+01", 3600)
	r.CreatedAt = created.In(casablanca)
	b, _ := r.MarshalBinary()
	var got Request
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(r.CreatedAt) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", got.CreatedAt, r.CreatedAt)
	}
}

// TestGolden freezes format version 1: stored requests must stay readable.
func TestGolden(t *testing.T) {
	b, err := bulletin3().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "request_v1.golden")
	if *update {
		if err := os.WriteFile(path, []byte(hex.Dump(b)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), hex.Dump(b)); diff != "" {
		t.Errorf("format v1 changed (-golden +got):\n%s", diff)
	}
}

type unmarshalTest struct {
	name    string
	data    []byte
	wantErr string // substring; "" means success
}

// unmarshalTests also seeds FuzzUnmarshal.
func unmarshalTests() []unmarshalTest {
	good, _ := bulletin3().MarshalBinary()
	with := func(f func([]byte) []byte) []byte { return f(bytes.Clone(good)) }
	stateAt := 1 + 16
	trackingAt := stateAt + 1
	return []unmarshalTest{
		{"good", good, ""},
		{"empty", nil, "empty"},
		{"version 0", with(func(b []byte) []byte { b[0] = 0; return b }), "unknown format version 0"},
		{"version 2", with(func(b []byte) []byte { b[0] = 2; return b }), "unknown format version 2"},
		{"trailing garbage", append(bytes.Clone(good), 0), "1 trailing bytes"},
		{"truncated", good[:len(good)-1], "truncated"},
		{"only version", good[:1], "id at byte 1: truncated"},
		{"state code 0", with(func(b []byte) []byte { b[stateAt] = 0; return b }), "unknown state code 0"},
		{"state code 10", with(func(b []byte) []byte { b[stateAt] = 10; return b }), "unknown state code 10"},
		{"rejected without reason", with(func(b []byte) []byte { b[stateAt] = stateCode[Rejected]; return b }), "reject reason"},
		{"tracking check wrong", with(func(b []byte) []byte { b[trackingAt+12] = 'Y'; return b }), "tracking number"},
		{"string past the end", with(func(b []byte) []byte { b[trackingAt] = 0x7f; return b }), "past the end"},
		{"non-minimal varint", append(append(bytes.Clone(good[:trackingAt]), 0x8c, 0x00), good[trackingAt+1:]...), "not minimal"},
		{"nanoseconds out of range", badNanos(), "nanoseconds"},
	}
}

// badNanos encodes a request whose creation time has 10⁹ nanoseconds.
func badNanos() []byte {
	r := bulletin3()
	b, _ := r.MarshalBinary()
	// The created-at time follows the reject reason (empty: one 0 byte):
	// find the encoding of the nanoseconds and replace it.
	ns := appendTime(nil, created)
	i := bytes.Index(b, ns)
	bad := appendTime(nil, time.Unix(created.Unix(), 0))
	bad = bad[:len(bad)-1]
	bad = append(bad, 0x80, 0x94, 0xeb, 0xdc, 0x03) // uvarint 1e9
	return append(append(bytes.Clone(b[:i]), bad...), b[i+len(ns):]...)
}

func TestUnmarshalBinary(t *testing.T) {
	for _, tt := range unmarshalTests() {
		t.Run(tt.name, func(t *testing.T) {
			r := Request{Service: "untouched"}
			err := r.UnmarshalBinary(tt.data)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("UnmarshalBinary = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "request: unmarshal: ") {
				t.Fatalf("UnmarshalBinary = %v, want an error with %q", err, tt.wantErr)
			}
			if r.Service != "untouched" {
				t.Errorf("failed UnmarshalBinary changed the request: %+v", r)
			}
		})
	}
}

// TestUnmarshalEveryTruncation cuts a good encoding at every length.
func TestUnmarshalEveryTruncation(t *testing.T) {
	for name, r := range requests() {
		b, _ := r.MarshalBinary()
		for n := 0; n < len(b); n++ {
			var got Request
			if err := got.UnmarshalBinary(b[:n]); err == nil {
				t.Errorf("%s: UnmarshalBinary(first %d of %d bytes) succeeded", name, n, len(b))
			}
		}
	}
}

func TestJSON(t *testing.T) {
	for name, r := range requests() {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var got Request
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("json.Unmarshal(%s) = %v", b, err)
			}
			if diff := cmp.Diff(r, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("JSON round trip (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := json.Marshal(Request{State: "lost"}); err == nil {
		t.Errorf("json.Marshal(state lost) succeeded, want error")
	}
}

type jsonTest struct {
	name    string
	data    string
	wantErr string // substring; "" means success
}

// jsonTests also seeds FuzzUnmarshalJSON.
func jsonTests() []jsonTest {
	b, _ := json.Marshal(bulletin3())
	good := string(b)
	return []jsonTest{
		{"good", good, ""},
		{"golden shape", `{"id":"0123456789abcdef0123456789abcdef","tracking":"K7MX4HQ9XR33","service":"bulletin3","court":"ma-tpi-casablanca","fee":2000,"currency":"MAD","state":"queued","created_at":"2026-03-14T09:30:12.345678901Z","updated_at":"2026-03-14T09:30:12.345678901Z","kiosk_id":"ma-casablanca-tpi-01","pack_version":7}`, ""},
		{"grouped tracking accepted", strings.Replace(good, "K7MX4HQ9XR33", "K7MX-4HQ9-XR33", 1), ""},
		{"unknown state", strings.Replace(good, `"queued"`, `"lost"`, 1), "unknown state"},
		{"bad tracking", strings.Replace(good, "K7MX4HQ9XR33", "K7MX4HQ9XR34", 1), "check character wrong"},
		{"unknown field", strings.Replace(good, `{`, `{"name":"ALAOUI",`, 1), "unknown field"},
		{"trailing data", good + `{}`, "trailing data"},
		{"negative fee", strings.Replace(good, `"fee":2000`, `"fee":-1`, 1), "negative fee"},
		{"reason while queued", strings.Replace(good, `{`, `{"reject_reason":"no",`, 1), "reject reason"},
		{"not an object", `[]`, "cannot unmarshal"},
		{"empty", ``, "EOF"},
	}
}

func TestUnmarshalJSON(t *testing.T) {
	for _, tt := range jsonTests() {
		t.Run(tt.name, func(t *testing.T) {
			r := Request{Service: "untouched"}
			err := r.UnmarshalJSON([]byte(tt.data))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("UnmarshalJSON = %v, want nil", err)
				}
				if diff := cmp.Diff(bulletin3(), r, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
					t.Errorf("UnmarshalJSON (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "request: unmarshal json: ") {
				t.Fatalf("UnmarshalJSON = %v, want an error with %q", err, tt.wantErr)
			}
			if r.Service != "untouched" {
				t.Errorf("failed UnmarshalJSON changed the request: %+v", r)
			}
		})
	}
}

func FuzzUnmarshalJSON(f *testing.F) {
	for _, tt := range jsonTests() {
		f.Add(tt.data)
	}
	f.Fuzz(func(t *testing.T, data string) {
		var r Request
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("decoded an invalid request: %v", err)
		}
		// Whatever JSON accepts, the store's binary format keeps.
		b, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary(decoded) = %v", err)
		}
		var back Request
		if err := back.UnmarshalBinary(b); err != nil {
			t.Fatalf("UnmarshalBinary(MarshalBinary()) = %v", err)
		}
		if diff := cmp.Diff(r, back, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Fatalf("JSON→binary round trip (-json +binary):\n%s", diff)
		}
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("json.Marshal(decoded) = %v", err)
		}
		var r2 Request
		if err := json.Unmarshal(again, &r2); err != nil {
			t.Fatalf("json.Unmarshal(json.Marshal()) = %v", err)
		}
	})
}

func FuzzUnmarshal(f *testing.F) {
	for _, tt := range unmarshalTests() {
		f.Add(tt.data)
	}
	for _, r := range requests() {
		b, _ := r.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Request
		if err := r.UnmarshalBinary(data); err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("decoded an invalid request: %v", err)
		}
		again, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary(decoded) = %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("encoding is not canonical:\n in  %x\n out %x", data, again)
		}
		var r2 Request
		if err := r2.UnmarshalBinary(again); err != nil {
			t.Fatalf("UnmarshalBinary(MarshalBinary()) = %v", err)
		}
		if diff := cmp.Diff(r, r2); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

func BenchmarkMarshalBinary(b *testing.B) {
	r := bulletin3()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalBinary(b *testing.B) {
	data, _ := bulletin3().MarshalBinary()
	b.ReportAllocs()
	for b.Loop() {
		var r Request
		if err := r.UnmarshalBinary(data); err != nil {
			b.Fatal(err)
		}
	}
}
