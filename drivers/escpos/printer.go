package escpos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"guichet/drivers"
	"guichet/kiosk/printq"
	"guichet/kiosk/receipt"
)

// Options configure a Printer. Zero values take the defaults.
type Options struct {
	// StatusTimeout bounds a status query (DefaultStatusTimeout).
	StatusTimeout time.Duration
	// PollInterval is how often an idle printer's status is read, so that
	// paper running low or a cover left open reach the technician before
	// a citizen meets them (DefaultPollInterval).
	PollInterval time.Duration
	// OnStatus, if set, is called with each status read that differs from
	// the last (or fails differently): for telemetry and the technician
	// screen. It must not block.
	OnStatus func(Status, error)
	Logger   *slog.Logger
}

// DefaultPollInterval is how often an idle printer's status is read.
const DefaultPollInterval = 5 * time.Second

// Printer is the kiosk's receipt printer: it renders documents for its
// profile and sends them on the port that Drive holds. It implements
// printq.Printer. Its methods are safe for concurrent use; jobs and status
// queries take turns on the port.
type Printer struct {
	r    *Renderer
	opts Options

	mu   sync.Mutex // held while the port is in use
	conn *Conn      // nil while no port is held
	lost chan error // a job met a lost port: Drive returns

	smu     sync.Mutex
	last    Status
	lastErr error
	lastAt  time.Time
}

var _ printq.Printer = (*Printer)(nil)

// New returns a Printer for prof; it prints once Drive holds a port.
func New(prof Profile, opts Options) (*Printer, error) {
	r, err := NewRenderer(prof)
	if err != nil {
		return nil, err
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Printer{r: r, opts: opts, lost: make(chan error, 1)}, nil
}

// Renderer returns the printer's layout engine.
func (p *Printer) Renderer() *Renderer { return p.r }

// Drive holds port for the printer until ctx is done or the port fails,
// reading the printer's status every PollInterval meanwhile. It is the
// drive function of a serialport.Supervisor (which reopens the port after
// a loss); USB and TCP printers use the same supervisor with OpenUSB and
// DialTCP.
func (p *Printer) Drive(ctx context.Context, port drivers.Port) error {
	p.mu.Lock()
	p.conn = &Conn{Port: port, Profile: p.r.prof, StatusTimeout: p.opts.StatusTimeout}
	select {
	case <-p.lost: // a loss reported on the previous port
	default:
	}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.conn = nil
		p.mu.Unlock()
	}()
	t := time.NewTicker(p.opts.PollInterval)
	defer t.Stop()
	if _, err := p.Status(ctx); isLoss(err) {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-p.lost:
			return err
		case <-t.C:
			if _, err := p.Status(ctx); isLoss(err) {
				return err
			}
		}
	}
}

var errNotConnected = fmt.Errorf("escpos: printer not connected: %w", printq.ErrAbsent)

// Status reads the printer's status now.
func (p *Printer) Status(ctx context.Context) (Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		p.record(Status{}, errNotConnected)
		return Status{}, errNotConnected
	}
	st, err := p.conn.Status(ctx)
	if ctx.Err() == nil {
		p.record(st, err)
	}
	return st, err
}

// LastStatus returns the last status read, its error and when.
func (p *Printer) LastStatus() (Status, error, time.Time) {
	p.smu.Lock()
	defer p.smu.Unlock()
	return p.last, p.lastErr, p.lastAt
}

func (p *Printer) record(st Status, err error) {
	p.smu.Lock()
	changed := st != p.last || errText(err) != errText(p.lastErr) || p.lastAt.IsZero()
	p.last, p.lastErr, p.lastAt = st, err, time.Now()
	p.smu.Unlock()
	if changed {
		if err != nil {
			p.opts.Logger.Warn("escpos: printer status", "err", err)
		} else {
			p.opts.Logger.Info("escpos: printer status", "status", st.String())
		}
		if p.opts.OnStatus != nil {
			p.opts.OnStatus(st, err)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Ready returns nil when the printer can print now: connected, answering,
// and without a fault.
func (p *Printer) Ready(ctx context.Context) error {
	st, err := p.Status(ctx)
	if err != nil {
		return err
	}
	if st.Fault() != NoFault {
		return &FaultError{Status: st}
	}
	return nil
}

// Print renders doc and sends it. It returns once the receipt came out
// whole, or with the fault that stopped it (see Conn.Send).
func (p *Printer) Print(ctx context.Context, doc receipt.Document) error {
	job, err := p.r.Render(doc)
	if err != nil {
		return fmt.Errorf("%w: %w", printq.ErrFault, err)
	}
	return p.Send(ctx, job)
}

// Send sends a rendered job.
func (p *Printer) Send(ctx context.Context, job *Job) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return errNotConnected
	}
	err := p.conn.Send(ctx, job)
	var fe *FaultError
	switch {
	case errors.As(err, &fe):
		p.record(fe.Status, nil)
	case isLoss(err):
		select {
		case p.lost <- err:
		default:
		}
	}
	return err
}
