package update

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// Seeds shared by the decoders' tests and fuzz targets.
var (
	recordSeeds = []string{
		`{"state":"idle","committed":"1.0.0","attempts":0,"boots":0,"clean_stop":false,"since":"2026-11-22T10:00:00Z"}`,
		`{"state":"probation","committed":"1.0.0","release":{"version":"1.1.0","issued":"2026-11-22T10:00:00Z","expires":"2027-01-01T00:00:00Z","files":[{"name":"guichet","kind":"binary","target":"1.1.0/guichet","length":3,"sha256":"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"}]},"attempts":1,"boots":2,"clean_stop":true,"since":"2026-11-22T10:00:00Z"}`,
		`{"state":"idle","release":{"version":"1.1.0"}}`,
		`{"state":"flying"}`,
		`{"state":"idle"} {}`,
	}
	customSeeds = []string{
		`{"guichet":{"release":"1.1.0","min_upgrade_from":"1.0.0","kind":"binary","name":"guichet","issued":"2026-11-22T10:00:00Z"}}`,
		`{"guichet":{"release":"1.1.0","min_upgrade_from":"1.2.0","kind":"config","name":"printer.json","issued":"2026-11-22T10:00:00Z"}}`,
		`{"guichet":{"release":"1.1.0","kind":"data","name":"../etc/passwd","issued":"2026-11-22T10:00:00Z"}}`,
		`{"other":{}}`,
	}
	healthSeeds = []string{
		`{"version":"1.1.0","pid":42,"written_at":"2026-11-22T10:00:00Z","home_screen_rendered":true,"peripherals_answered":true,"store_opened":true,"registry_reached_or_queue_intact":true}`,
		`{"version":"1.1.0","peripherals_answered":false,"detail":"printer silent"}`,
		`{"version":""}`,
	}
	sessionSeeds = []string{
		`{"session_active":true,"changed_at":"2026-11-22T10:00:00Z"}`,
		`{"session_active":false,"changed_at":"2026-11-22T10:00:00Z","maintenance_window":{"start":"02:00","end":"05:00","zone":"Africa/Casablanca"}}`,
		`{"maintenance_window":{"start":"25:00","end":"05:00"}}`,
	}
)

func TestDecodeRecordSeeds(t *testing.T) {
	for i, s := range recordSeeds {
		_, err := DecodeRecord([]byte(s))
		if (err == nil) != (i < 2) {
			t.Errorf("DecodeRecord(%s) = %v", s, err)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for _, s := range recordSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			return
		}
		enc, err := EncodeRecord(r)
		if err != nil {
			t.Fatalf("a decoded record does not encode: %v", err)
		}
		r2, err := DecodeRecord(enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		enc2, _ := EncodeRecord(r2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("not stable: %s then %s", enc, enc2)
		}
	})
}

func TestDecodeCustomSeeds(t *testing.T) {
	for i, s := range customSeeds {
		_, err := DecodeCustom([]byte(s))
		if (err == nil) != (i == 0) {
			t.Errorf("DecodeCustom(%s) = %v", s, err)
		}
	}
}

func FuzzDecodeCustom(f *testing.F) {
	for _, s := range customSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeCustom(b)
		if err != nil {
			return
		}
		enc, err := EncodeCustom(m)
		if err != nil {
			t.Fatalf("a decoded custom metadata does not encode: %v", err)
		}
		m2, err := DecodeCustom(enc)
		if err != nil || m2.Release != m.Release || m2.Name != m.Name || !m2.Issued.Equal(m.Issued) {
			t.Fatalf("round trip %+v -> %+v (%v)", m, m2, err)
		}
	})
}

func TestDecodeHealthReportSeeds(t *testing.T) {
	for i, s := range healthSeeds {
		h, err := DecodeHealthReport([]byte(s))
		switch i {
		case 0:
			if err != nil || h.Failure() != "" {
				t.Errorf("healthy report: %v %q", err, h.Failure())
			}
		case 1:
			if err != nil || h.Failure() != "home screen not rendered, peripherals did not answer, store did not open, registry not reached and queue not intact (printer silent)" {
				t.Errorf("failing report: %v %q", err, h.Failure())
			}
		case 2:
			if err == nil {
				t.Error("report without a version decoded")
			}
		}
	}
}

func FuzzDecodeHealthReport(f *testing.F) {
	for _, s := range healthSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHealthReport(b)
		if err != nil {
			return
		}
		if h.Version.IsZero() {
			t.Fatal("decoded a report without a version")
		}
		enc, _ := json.Marshal(h)
		if _, err := DecodeHealthReport(enc); err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
	})
}

func FuzzDecodeSessionState(f *testing.F) {
	for _, s := range sessionSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSessionState(b)
		if err != nil {
			return
		}
		ActivationAllowed(time.Unix(1e9, 0), s, Window{Start: "02:00", End: "05:00"}, time.Time{})
		enc, _ := EncodeSessionState(s)
		if _, err := DecodeSessionState(enc); err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
	})
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.4.0", "0.0.1", "01.2.3", "1.2", "v1.2.3", "4294967295.0.0", "4294967296.0.0", "1.2.3-rc1", "0.0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			return
		}
		if v.String() != s {
			t.Fatalf("ParseVersion(%q).String() = %q", s, v.String())
		}
	})
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"02:00-05:00", "23:00-01:00@Africa/Casablanca", "02:00-02:00", "2:00-05:00", "02:00-05:00@Nowhere/City"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			return
		}
		w.Contains(time.Unix(1e9, 0))
	})
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-99/100", "bytes 100-199/*", "bytes 5-4/10", "bytes 0-99/99", "items 0-1/2", "bytes -1-5/10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, total, err := parseContentRange(s)
		if err != nil {
			return
		}
		if start < 0 || (total != -1 && total <= start) {
			t.Fatalf("parseContentRange(%q) = %d, %d", s, start, total)
		}
	})
}
