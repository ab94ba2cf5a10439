package escpos

import (
	"errors"
	"fmt"
	"strings"
)

// Status is what the four real-time status bytes (DLE EOT 1–4) say.
type Status struct {
	// DLE EOT 1, printer status.
	Offline       bool // bit 3
	WaitingOnline bool // bit 5: waiting for online recovery
	FeedButton    bool // bit 6: the feed button is held

	// DLE EOT 2, offline cause.
	CoverOpen    bool // bit 2
	FeedingPaper bool // bit 3: paper being fed with the feed button
	PaperEndStop bool // bit 5: printing stopped because the paper ran out
	Error        bool // bit 6: an error occurred (see the error cause)

	// DLE EOT 3, error cause.
	MechanicalError      bool // bit 2 (some models: undefined, always 0)
	CutterError          bool // bit 3
	UnrecoverableError   bool // bit 5
	AutoRecoverableError bool // bit 6: head too hot, or cover opened while printing

	// DLE EOT 4, roll paper sensors.
	PaperNearEnd bool // bits 2 and 3
	PaperEnd     bool // bits 5 and 6
}

// ErrStatusByte is returned for a byte that cannot be a status answer: its
// fixed bits (0 and 7 off, 1 and 4 on) are wrong. It is how a reader tells
// a status byte from noise.
var ErrStatusByte = errors.New("escpos: not a status byte")

// statusFixed are the bits every status byte has: bit 1 and bit 4 on, bits 0
// and 7 off.
const (
	statusFixedMask = 0x93
	statusFixedBits = 0x12
)

// IsStatusByte reports whether b has a status byte's fixed bits.
func IsStatusByte(b byte) bool { return b&statusFixedMask == statusFixedBits }

// Decode sets the fields answered by the status byte b of kind k. Bits the
// reference leaves reserved are ignored. The paper sensors are two bits
// each; Decode reads either bit as the condition, so that a printer with
// one sensor of a pair is understood.
func (s *Status) Decode(k StatusKind, b byte) error {
	if k < PrinterStatus || k > statusKindLast {
		return fmt.Errorf("escpos: status kind %d out of range (1–4)", k)
	}
	if !IsStatusByte(b) {
		return fmt.Errorf("%w: DLE EOT %d answered %#02x", ErrStatusByte, k, b)
	}
	bit := func(n uint) bool { return b&(1<<n) != 0 }
	switch k {
	case PrinterStatus:
		s.Offline, s.WaitingOnline, s.FeedButton = bit(3), bit(5), bit(6)
	case OfflineCause:
		s.CoverOpen, s.FeedingPaper, s.PaperEndStop, s.Error = bit(2), bit(3), bit(5), bit(6)
	case ErrorCause:
		s.MechanicalError, s.CutterError, s.UnrecoverableError, s.AutoRecoverableError = bit(2), bit(3), bit(5), bit(6)
	case PaperSensor:
		s.PaperNearEnd, s.PaperEnd = bit(2) || bit(3), bit(5) || bit(6)
	}
	return nil
}

// Encode returns the status byte of kind k that s describes, as a printer
// sends it (both bits of a paper sensor pair set). The printer emulator
// answers with it.
func (s Status) Encode(k StatusKind) byte {
	b := byte(statusFixedBits)
	set := func(n uint, on bool) {
		if on {
			b |= 1 << n
		}
	}
	switch k {
	case PrinterStatus:
		set(3, s.Offline)
		set(5, s.WaitingOnline)
		set(6, s.FeedButton)
	case OfflineCause:
		set(2, s.CoverOpen)
		set(3, s.FeedingPaper)
		set(5, s.PaperEndStop)
		set(6, s.Error)
	case ErrorCause:
		set(2, s.MechanicalError)
		set(3, s.CutterError)
		set(5, s.UnrecoverableError)
		set(6, s.AutoRecoverableError)
	case PaperSensor:
		set(2, s.PaperNearEnd)
		set(3, s.PaperNearEnd)
		set(5, s.PaperEnd)
		set(6, s.PaperEnd)
	}
	return b
}

// DecodeAll decodes the four answers to DLE EOT 1, 2, 3, 4, in that order.
func DecodeAll(b [4]byte) (Status, error) {
	var s Status
	for i, x := range b {
		if err := s.Decode(StatusKind(i+1), x); err != nil {
			return Status{}, err
		}
	}
	return s, nil
}

// Fault is why a printer cannot print now.
type Fault string

// The faults, most specific first: a printer out of paper with its cover
// open is reported as cover open, since closing the cover is what the
// technician does first.
const (
	NoFault      Fault = ""
	FaultCover   Fault = "cover_open"
	FaultPaper   Fault = "paper_out"
	FaultCutter  Fault = "cutter_error"
	FaultFailed  Fault = "printer_error"   // unrecoverable or mechanical error
	FaultOffline Fault = "printer_offline" // offline for no reported cause (waiting, feed button)
)

// Fault classifies s: what stops the printer, NoFault when it can print.
// Paper near its end is not a fault (it is reported for the technician).
func (s Status) Fault() Fault {
	switch {
	case s.CoverOpen:
		return FaultCover
	case s.PaperEnd || s.PaperEndStop:
		return FaultPaper
	case s.CutterError:
		return FaultCutter
	case s.UnrecoverableError || s.MechanicalError:
		return FaultFailed
	case s.Offline || s.Error || s.AutoRecoverableError:
		return FaultOffline
	}
	return NoFault
}

// String lists the conditions set, "ok" when none is.
func (s Status) String() string {
	var out []string
	add := func(on bool, what string) {
		if on {
			out = append(out, what)
		}
	}
	add(s.Offline, "offline")
	add(s.WaitingOnline, "waiting for online recovery")
	add(s.FeedButton, "feed button held")
	add(s.CoverOpen, "cover open")
	add(s.FeedingPaper, "feeding paper")
	add(s.PaperEndStop, "stopped at paper end")
	add(s.Error, "error")
	add(s.MechanicalError, "mechanical error")
	add(s.CutterError, "cutter error")
	add(s.UnrecoverableError, "unrecoverable error")
	add(s.AutoRecoverableError, "auto-recoverable error")
	add(s.PaperNearEnd, "paper near end")
	add(s.PaperEnd, "paper end")
	if len(out) == 0 {
		return "ok"
	}
	return strings.Join(out, ", ")
}
