package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"guichet/drivers"
	"guichet/drivers/ipp"
	"guichet/kiosk/flow"
)

// laser implements flow.DocumentPrinter on the CUPS queue of the kiosk's
// laser printer, and reports the printer's state (printer-state-reasons) to
// the technician screen between jobs.
type laser struct {
	p  *ipp.Printer
	ps *peripherals
}

func startLaser(ctx context.Context, cfg ipp.Config, ps *peripherals) (*laser, error) {
	p, err := ipp.New(cfg, ipp.WithLogger(ps.log))
	if err != nil {
		return nil, err
	}
	path := fmt.Sprintf("ipp://%s:%d/printers/%s", cfg.Host, cfg.Port, cfg.Queue)
	ps.onHealth(drivers.Health{Device: "laser", Path: path, State: drivers.Reconnecting, Reason: "starting", Since: time.Now()})
	go p.Watch(ctx, func(e ipp.Event) {
		switch e := e.(type) {
		case ipp.PrinterChanged:
			ps.onHealth(e.Status.Health("laser", path, time.Now()))
		case ipp.ServerUnreachable:
			ps.onHealth(drivers.Health{Device: "laser", Path: path, State: drivers.Failed, Reason: "print server unreachable: " + e.Err.Error(), Since: e.At})
		}
	})
	return &laser{p: p, ps: ps}, nil
}

func (l *laser) PrintDocument(ctx context.Context, e flow.Extract) error {
	if e.ContentType != "" && e.ContentType != "application/pdf" {
		return fmt.Errorf("guichet: the laser queue takes PDF, not %s", e.ContentType)
	}
	_, err := l.p.Print(ctx, ipp.Document{Name: "extract " + string(e.Tracking), PDF: e.Document}, nil)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ipp.ErrUnreachable), errors.Is(err, ipp.ErrNoQueue), errors.Is(err, ipp.ErrNotAccepting):
		return fmt.Errorf("%w: %v", flow.ErrPrinterAbsent, err)
	}
	return err
}
