package escpos

import (
	"context"
	"errors"
	"fmt"
	"time"

	"guichet/drivers"
	"guichet/kiosk/printq"
)

// The conditions a send reports. ErrNoAnswer and ErrPortLost wrap
// printq.ErrAbsent, so the print queue tells the citizen the printer does
// not answer.
var (
	// ErrNoAnswer: the printer sent no status within the timeout
	// (switched off, or a serial cable without the printer).
	ErrNoAnswer = fmt.Errorf("escpos: the printer does not answer status queries: %w", printq.ErrAbsent)
	// ErrPortLost: the port failed (unplugged); the supervisor reopens it.
	ErrPortLost = fmt.Errorf("escpos: printer port lost: %w", printq.ErrAbsent)
)

// FaultError is a fault that kept a job from starting or stopped it at a
// chunk boundary. It wraps the printq condition the fault is.
type FaultError struct {
	Status Status
	// Sent is how many of the job's Chunks chunks had been sent.
	Sent, Chunks int
}

func (e *FaultError) Error() string {
	f := e.Status.Fault()
	if e.Sent == 0 {
		return fmt.Sprintf("escpos: %s (%s): nothing sent", f, e.Status)
	}
	return fmt.Sprintf("escpos: %s (%s): stopped after chunk %d of %d", f, e.Status, e.Sent, e.Chunks)
}

// Unwrap returns the printq condition: paper out, cover open, or a
// printer fault.
func (e *FaultError) Unwrap() error {
	switch e.Status.Fault() {
	case FaultPaper:
		return printq.ErrPaperOut
	case FaultCover:
		return printq.ErrCoverOpen
	}
	return printq.ErrFault
}

// DefaultStatusTimeout bounds the wait for the four status bytes; a serial
// port's reads are 0.1 s grained.
const DefaultStatusTimeout = 500 * time.Millisecond

// Conn is a printer on an open port. It is not safe for concurrent use
// (Printer serialises it).
type Conn struct {
	Port    drivers.Port
	Profile Profile
	// StatusTimeout bounds each status query (DefaultStatusTimeout if 0).
	StatusTimeout time.Duration
	// Sleep waits between the status checks while a job comes out; nil
	// sleeps on the real clock.
	Sleep func(ctx context.Context, d time.Duration) error

	dirty bool // stale bytes may wait: drain before the next query
}

// statusKinds are queried together, answered in this order.
var statusKinds = []StatusKind{PrinterStatus, OfflineCause, ErrorCause, PaperSensor}

// Status queries the four real-time statuses.
func (c *Conn) Status(ctx context.Context) (Status, error) {
	if err := ctx.Err(); err != nil {
		return Status{}, err
	}
	timeout := c.StatusTimeout
	if timeout <= 0 {
		timeout = DefaultStatusTimeout
	}
	if c.dirty {
		if err := c.drain(); err != nil {
			return Status{}, err
		}
	}
	if _, err := c.Port.Write(AppendStatusQuery(nil, statusKinds...)); err != nil {
		return Status{}, fmt.Errorf("%w: write: %v", ErrPortLost, err)
	}
	if err := c.Port.SetReadTimeout(timeout); err != nil {
		return Status{}, fmt.Errorf("%w: %v", ErrPortLost, err)
	}
	var got [4]byte
	n, noise := 0, 0
	deadline := time.Now().Add(timeout)
	var buf [8]byte
	for n < len(got) {
		k, err := c.Port.Read(buf[:len(got)-n])
		for _, b := range buf[:k] {
			if !IsStatusByte(b) {
				noise++ // an automatic status block or line noise: not ours
				continue
			}
			got[n] = b
			n++
		}
		switch {
		case err != nil && drivers.IsTimeout(err):
			c.dirty = true
			return Status{}, fmt.Errorf("%w (%d of 4 bytes in %v)", ErrNoAnswer, n, timeout)
		case err != nil:
			return Status{}, fmt.Errorf("%w: read: %v", ErrPortLost, err)
		case noise > 64 || time.Now().After(deadline):
			c.dirty = true
			return Status{}, fmt.Errorf("%w (%d of 4 bytes, %d bytes of noise)", ErrNoAnswer, n, noise)
		}
	}
	return DecodeAll(got)
}

// drain discards what waits on the port.
func (c *Conn) drain() error {
	if err := c.Port.SetReadTimeout(time.Millisecond); err != nil {
		return fmt.Errorf("%w: %v", ErrPortLost, err)
	}
	var buf [64]byte
	for {
		_, err := c.Port.Read(buf[:])
		if err != nil {
			if drivers.IsTimeout(err) {
				c.dirty = false
				return nil
			}
			return fmt.Errorf("%w: read: %v", ErrPortLost, err)
		}
	}
}

// Send sends job chunk by chunk, checking the printer's status before the
// first chunk, between two chunks and while the job comes out. On a fault
// it sends nothing more (clearing the printer's buffers when the profile
// says so) and returns a *FaultError; on ctx's end it stops at the next
// chunk boundary.
func (c *Conn) Send(ctx context.Context, job *Job) error {
	check := func(sent int) error {
		st, err := c.Status(ctx)
		if err != nil {
			return err
		}
		if st.Fault() == NoFault {
			return nil
		}
		if sent > 0 && c.Profile.ClearOnFault {
			if _, err := c.Port.Write(AppendClearBuffers(nil)); err != nil {
				return fmt.Errorf("%w: write: %v", ErrPortLost, err)
			}
			c.dirty = true // the printer acknowledges the clear
		}
		return &FaultError{Status: st, Sent: sent, Chunks: len(job.Chunks)}
	}
	for i, chunk := range job.Chunks {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("escpos: stopped after chunk %d of %d: %w", i, len(job.Chunks), err)
		}
		if err := check(i); err != nil {
			return err
		}
		if _, err := c.Port.Write(chunk); err != nil {
			return fmt.Errorf("%w: write chunk %d of %d: %v", ErrPortLost, i+1, len(job.Chunks), err)
		}
	}
	// Watch the job come out: a fault now (paper ending on the last lines)
	// still means the receipt is not whole.
	sleep := c.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	wait := c.Profile.PrintTime(job.Rows)
	for step := 100 * time.Millisecond; ; wait -= step {
		if err := check(len(job.Chunks)); err != nil {
			return err
		}
		if wait <= 0 {
			return nil
		}
		if err := sleep(ctx, min(step, wait)); err != nil {
			return fmt.Errorf("escpos: stopped while the receipt came out: %w", err)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// isLoss reports whether err means the port is gone.
func isLoss(err error) bool { return errors.Is(err, ErrPortLost) }
