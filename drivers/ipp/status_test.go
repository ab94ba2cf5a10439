package ipp

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers"
)

// reasonTests also seed FuzzDecodeReasons.
var reasonTests = []struct {
	name string
	in   []string
	want []Reason
}{
	{"none", []string{"none"}, nil},
	{"empty", nil, nil},
	{"media empty", []string{"media-empty-error", "paused"}, []Reason{
		{"media-empty-error", MediaEmpty, Error}, {"paused", Paused, Error},
	}},
	{"toner low report", []string{"toner-low-report"}, []Reason{{"toner-low-report", TonerLow, Report}}},
	{"marker supply low warning", []string{"marker-supply-low-warning"}, []Reason{{"marker-supply-low-warning", TonerLow, Warning}}},
	{"door open without suffix is an error", []string{"door-open"}, []Reason{{"door-open", DoorOpen, Error}}},
	{"cover open", []string{"cover-open-error"}, []Reason{{"cover-open-error", DoorOpen, Error}}},
	{"jam", []string{"media-jam-error"}, []Reason{{"media-jam-error", MediaJam, Error}}},
	{"offline", []string{"offline-report"}, []Reason{{"offline-report", Offline, Report}}},
	{"vendor keyword", []string{"com.example-fuser-hot-warning"}, []Reason{{"com.example-fuser-hot-warning", Other, Warning}}},
	{"cups filter warning", []string{"cups-missing-filter-warning"}, []Reason{{"cups-missing-filter-warning", Other, Warning}}},
	{"duplicates and blanks", []string{"paused", "", " paused ", "paused"}, []Reason{{"paused", Paused, Error}}},
	{"suffix alone", []string{"-error"}, []Reason{{"-error", Other, Error}}},
}

func TestDecodeReasons(t *testing.T) {
	for _, tt := range reasonTests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, DecodeReasons(tt.in)); diff != "" {
				t.Errorf("DecodeReasons(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func FuzzDecodeReasons(f *testing.F) {
	for _, tt := range reasonTests {
		f.Add(strings.Join(tt.in, "\x00"))
	}
	f.Fuzz(func(t *testing.T, joined string) {
		in := strings.Split(joined, "\x00")
		got := DecodeReasons(in)
		if len(got) > len(in) {
			t.Fatalf("DecodeReasons gave %d reasons for %d values", len(got), len(in))
		}
		seen := map[string]bool{}
		for _, r := range got {
			if r.Keyword == "" || r.Keyword == "none" || seen[r.Keyword] {
				t.Fatalf("DecodeReasons(%q) kept %q", in, r.Keyword)
			}
			seen[r.Keyword] = true
			if r.Condition == "" || (r.Severity != Report && r.Severity != Warning && r.Severity != Error) {
				t.Fatalf("DecodeReasons(%q) = %+v", in, r)
			}
			if r.Condition.Message("fr") == "" || r.Condition.Message("en") == "" {
				t.Fatalf("no message for %q", r.Condition)
			}
		}
		// Decoding the keywords again gives the same reasons.
		var again []string
		for _, r := range got {
			again = append(again, r.Keyword)
		}
		if diff := cmp.Diff(got, DecodeReasons(again)); diff != "" {
			t.Fatalf("DecodeReasons is not stable (-first +second):\n%s", diff)
		}
	})
}

func TestHealth(t *testing.T) {
	since := time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		status Status
		state  drivers.State
		reason string // in Reason; "" for none
	}{
		{"idle", Status{State: Idle, AcceptingJobs: true}, drivers.Connected, ""},
		{"printing", Status{State: Processing, AcceptingJobs: true}, drivers.Connected, ""},
		{"toner low still prints", Status{State: Idle, AcceptingJobs: true, Reasons: DecodeReasons([]string{"toner-low-report"})}, drivers.Connected, "toner low"},
		{"out of paper", Status{State: Stopped, AcceptingJobs: true, Message: "Out of paper", Reasons: DecodeReasons([]string{"media-empty-error", "paused"})},
			drivers.Failed, "out of paper: load paper; printer says: Out of paper"},
		{"paused by a technician", Status{State: Stopped, AcceptingJobs: true, Reasons: DecodeReasons([]string{"paused"})}, drivers.Failed, "queue paused"},
		{"door open while idle", Status{State: Idle, AcceptingJobs: true, Reasons: DecodeReasons([]string{"door-open-error"})}, drivers.Failed, "a door or cover is open"},
		{"rejecting", Status{Queue: "laser", State: Idle, AcceptingJobs: false}, drivers.Failed, "cupsaccept laser"},
		{"stopped without reason", Status{State: Stopped, AcceptingJobs: true}, drivers.Failed, "stopped"},
		{"vendor reason named", Status{State: Stopped, AcceptingJobs: true, Reasons: DecodeReasons([]string{"com.example-fuser-error"})}, drivers.Failed, "com.example-fuser-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.status.Health("laser", "ipp://localhost/printers/laser", since)
			if h.State != tt.state || h.Device != "laser" || !h.Since.Equal(since) {
				t.Errorf("Health() = %+v, want state %s", h, tt.state)
			}
			if tt.reason == "" && h.Reason != "" || !strings.Contains(h.Reason, tt.reason) {
				t.Errorf("Health().Reason = %q, want %q", h.Reason, tt.reason)
			}
			if got := tt.status.Ready(); got != (tt.state == drivers.Connected) {
				t.Errorf("Ready() = %v, want %v", got, tt.state == drivers.Connected)
			}
		})
	}
}

func TestStateStrings(t *testing.T) {
	for s, want := range map[JobState]string{JobPending: "pending", JobCompleted: "completed", JobAborted: "aborted", 42: "job-state(42)"} {
		if got := s.String(); got != want {
			t.Errorf("JobState(%d).String() = %q, want %q", int(s), got, want)
		}
	}
	for s, want := range map[PrinterState]string{Idle: "idle", Stopped: "stopped", 9: "printer-state(9)"} {
		if got := s.String(); got != want {
			t.Errorf("PrinterState(%d).String() = %q, want %q", int(s), got, want)
		}
	}
	if JobProcessingStopped.Terminal() || !JobCanceled.Terminal() {
		t.Errorf("Terminal: processing-stopped must not be terminal, canceled must")
	}
}
