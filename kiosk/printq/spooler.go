package printq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"guichet/kiosk/clock"
	"guichet/kiosk/pack"
	"guichet/kiosk/receipt"
	"guichet/kiosk/tracking"
)

// Printer prints documents: the receipt printer's driver implements it
// (drivers/escpos). Errors wrap one of ErrPaperOut, ErrCoverOpen, ErrAbsent
// or ErrFault, so that the spooler knows what to tell the citizen and
// what to wait for.
type Printer interface {
	// Print prints doc whole, or stops at the first fault and reports
	// it; a document stopped half way is sent again whole later.
	Print(ctx context.Context, doc receipt.Document) error
	// Ready returns nil when a document could print now, otherwise why
	// not.
	Ready(ctx context.Context) error
}

// The conditions a Printer reports.
var (
	ErrPaperOut  = errors.New("printq: printer out of paper")
	ErrCoverOpen = errors.New("printq: printer cover open")
	ErrAbsent    = errors.New("printq: printer absent or not answering")
	ErrFault     = errors.New("printq: printer fault")
)

// Fault names a printer condition in the job record and in events.
type Fault string

// The faults.
const (
	NoFault        Fault = ""
	FaultPaperOut  Fault = "paper_out"
	FaultCoverOpen Fault = "cover_open"
	FaultAbsent    Fault = "absent"
	FaultPrinter   Fault = "printer_fault"
)

// FaultOf classifies an error from a Printer; an error wrapping none of
// the sentinels is a printer fault.
func FaultOf(err error) Fault {
	switch {
	case err == nil:
		return NoFault
	case errors.Is(err, ErrPaperOut):
		return FaultPaperOut
	case errors.Is(err, ErrCoverOpen):
		return FaultCoverOpen
	case errors.Is(err, ErrAbsent):
		return FaultAbsent
	}
	return FaultPrinter
}

// MessageKey is the pack message that tells the citizen what happened and
// what to do: the request is recorded, note the tracking number, staff
// are alerted, the receipt prints when the fault clears or can be
// reprinted later.
func (f Fault) MessageKey() string {
	switch f {
	case FaultPaperOut:
		return "printer.paper_out"
	case FaultCoverOpen:
		return "printer.cover_open"
	case FaultAbsent:
		return "printer.absent"
	case NoFault:
		return ""
	}
	return "printer.error"
}

// EventKind is what happened to a job.
type EventKind string

// The events.
const (
	EventPrinted     EventKind = "printed"     // the document came out whole
	EventHeld        EventKind = "held"        // a fault stopped it: tell the citizen, alert the technician
	EventResumed     EventKind = "resumed"     // the fault cleared: printing it again from the start
	EventExpired     EventKind = "expired"     // held too long: it will not print on its own
	EventInterrupted EventKind = "interrupted" // found half-printed at start-up: it will not print on its own
)

// Event reports a job's change to the screen and to the technician's
// alarms (telemetry, audit).
type Event struct {
	Kind EventKind
	Job  Job
	// Fault and MessageKey are set for EventHeld: the citizen's message.
	Fault      Fault
	MessageKey string
	// Alarm is true when a technician must act (a fault, a job that will
	// not print on its own).
	Alarm bool
	At    time.Time
}

// The spooler's defaults.
const (
	DefaultRetryEvery = 2 * time.Second
	DefaultHoldFor    = 10 * time.Minute
)

// Spooler prints the queue's jobs one at a time, oldest first. A job a
// fault stops is held, and the printer is asked every RetryEvery whether it
// is ready; when it is, the job is sent again whole. A job held longer
// than HoldFor after it was submitted expires: the citizen has left, and a
// receipt coming out for nobody would be picked up by the next person; it
// is reprinted on request instead (Reprint). Set the fields before Run.
type Spooler struct {
	Queue   *Queue
	Printer Printer
	// Pack and Kiosk make the duplicates of reprints.
	Pack  *pack.Pack
	Kiosk receipt.Kiosk
	// Clock drives retries and expiry; nil is the system clock.
	Clock      clock.Clock
	RetryEvery time.Duration
	HoldFor    time.Duration
	// OnEvent, if set, receives every event, on Run's goroutine; it must
	// not block.
	OnEvent func(Event)
	Logger  *slog.Logger

	once sync.Once
	wake chan struct{}
}

func (s *Spooler) init() {
	s.once.Do(func() {
		s.wake = make(chan struct{}, 1)
		if s.Clock == nil {
			s.Clock = clock.System
		}
		if s.RetryEvery <= 0 {
			s.RetryEvery = DefaultRetryEvery
		}
		if s.HoldFor <= 0 {
			s.HoldFor = DefaultHoldFor
		}
		if s.Logger == nil {
			s.Logger = slog.New(slog.DiscardHandler)
		}
	})
}

func (s *Spooler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Submit queues doc and wakes the spooler. The job is on disk when Submit
// returns: a kiosk that stops now finds it at the next start.
func (s *Spooler) Submit(doc receipt.Document) (Job, error) {
	s.init()
	j, err := s.Queue.Add(doc, s.Clock.Now())
	if err != nil {
		return Job{}, err
	}
	s.poke()
	return j, nil
}

// ErrNotPrinted is returned by Reprint while the original still waits to
// print: it will come out when the printer is ready, and a duplicate now
// would make two.
var ErrNotPrinted = errors.New("printq: the receipt has not printed yet and will print when the printer is ready")

// Reprint queues a duplicate of the latest original document about
// tracking number n, marked as such (receipt.AsDuplicate): the explicit
// reprint a citizen asks for by scanning or typing the number, or a
// technician for an expired or interrupted job.
func (s *Spooler) Reprint(n tracking.Number) (Job, error) {
	s.init()
	jobs, err := s.Queue.ByTracking(n)
	if err != nil {
		return Job{}, err
	}
	var orig *Job
	for i := len(jobs) - 1; i >= 0; i-- {
		j := jobs[i]
		if j.Document.Duplicate || j.State == Cancelled {
			continue
		}
		if j.State == Pending || j.State == Held || j.State == Printing {
			return Job{}, fmt.Errorf("%w (job %d, %s)", ErrNotPrinted, j.ID, j.State)
		}
		orig = &j
		break
	}
	if orig == nil {
		return Job{}, fmt.Errorf("%w: no receipt for %s", ErrNoJob, n)
	}
	dup, err := receipt.AsDuplicate(s.Pack, orig.Document, s.Kiosk, s.Clock.Now())
	if err != nil {
		return Job{}, fmt.Errorf("printq: reprint %s: %w", n, err)
	}
	return s.Submit(dup)
}

// Run prints jobs until ctx is done. It first marks jobs left printing by
// a previous run as interrupted (an alarm each).
func (s *Spooler) Run(ctx context.Context) error {
	s.init()
	lost, err := s.Queue.Recover(s.Clock.Now())
	if err != nil {
		return err
	}
	for _, j := range lost {
		s.emit(Event{Kind: EventInterrupted, Job: j, Alarm: true})
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		j, ok, err := s.Queue.Next()
		if err != nil {
			return err
		}
		if !ok {
			if err := s.sleep(ctx, 0); err != nil {
				return err
			}
			continue
		}
		if err := s.step(ctx, j); err != nil {
			return err
		}
	}
}

// step advances one job: expire it, wait for the printer, or print it.
func (s *Spooler) step(ctx context.Context, j Job) error {
	now := s.Clock.Now()
	if j.State == Held {
		if now.Sub(j.CreatedAt) >= s.HoldFor {
			j, err := s.Queue.transition(j.ID, now, Expired, []State{Held}, nil)
			if err != nil {
				return err
			}
			s.emit(Event{Kind: EventExpired, Job: j, Fault: j.Fault, Alarm: true})
			return nil
		}
		if err := s.Printer.Ready(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if f := FaultOf(err); f != j.Fault {
				j, _ = s.Queue.update(j.ID, now, func(j *Job) error { j.Fault = f; return nil })
				s.emit(Event{Kind: EventHeld, Job: j, Fault: f, MessageKey: f.MessageKey(), Alarm: true})
			}
			until := j.CreatedAt.Add(s.HoldFor).Sub(now)
			return s.sleep(ctx, min(s.RetryEvery, max(until, time.Millisecond)))
		}
		s.emit(Event{Kind: EventResumed, Job: j})
	}
	j, err := s.Queue.transition(j.ID, now, Printing, []State{Pending, Held}, func(j *Job) { j.Attempts++ })
	if err != nil {
		return err
	}
	perr := s.Printer.Print(ctx, j.Document)
	now = s.Clock.Now()
	switch {
	case perr == nil:
		j, err = s.Queue.transition(j.ID, now, Printed, []State{Printing}, func(j *Job) { j.Fault = NoFault; j.PrintedAt = now.UTC() })
		if err != nil {
			return err
		}
		s.Logger.Info("printq: printed", "job", j.ID, "kind", j.Document.Kind, "tracking", j.Document.Tracking, "attempts", j.Attempts)
		s.emit(Event{Kind: EventPrinted, Job: j})
	case ctx.Err() != nil:
		// Stopped in the middle: what came out is unknown.
		j, err = s.Queue.transition(j.ID, now, Interrupted, []State{Printing}, nil)
		if err != nil {
			return err
		}
		s.emit(Event{Kind: EventInterrupted, Job: j, Alarm: true})
		return ctx.Err()
	default:
		f := FaultOf(perr)
		j, err = s.Queue.transition(j.ID, now, Held, []State{Printing}, func(j *Job) { j.Fault = f })
		if err != nil {
			return err
		}
		s.Logger.Warn("printq: held", "job", j.ID, "tracking", j.Document.Tracking, "fault", f, "err", perr)
		s.emit(Event{Kind: EventHeld, Job: j, Fault: f, MessageKey: f.MessageKey(), Alarm: true})
		return s.sleep(ctx, s.RetryEvery)
	}
	return nil
}

// sleep waits for d (0: until woken), a Submit, or ctx.
func (s *Spooler) sleep(ctx context.Context, d time.Duration) error {
	var fired chan struct{}
	if d > 0 {
		fired = make(chan struct{})
		t := s.Clock.AfterFunc(d, func() { close(fired) })
		defer t.Stop()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.wake:
	case <-fired:
	}
	return nil
}

func (s *Spooler) emit(e Event) {
	if e.At.IsZero() {
		e.At = s.Clock.Now()
	}
	if s.OnEvent != nil {
		s.OnEvent(e)
	}
}
