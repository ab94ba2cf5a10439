package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"guichet/drivers"
	"guichet/kiosk/store"
	"guichet/sync/wire"
)

// Diagnostics: when operations ask (a signed "diagnostics" document on the
// kiosk's change feed), the kiosk sends its recent log, its peripherals'
// history and the state of its store and updater. None of it is personal
// data: the kiosk never logs a citizen's data (screens are logged by kind
// and language only), and a test proves the bundle free of a citizen's
// card and form with canaries.

// ring keeps the last lines written to it.
type ring struct {
	mu    sync.Mutex
	lines []string
	next  int
	full  bool
}

func newRing(n int) *ring { return &ring{lines: make([]string, n)} }

func (r *ring) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range strings.SplitAfter(string(p), "\n") {
		if l == "" {
			continue
		}
		r.lines[r.next] = l
		r.next = (r.next + 1) % len(r.lines)
		r.full = r.full || r.next == 0
	}
	return len(p), nil
}

// String is the lines kept, oldest first.
func (r *ring) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	if r.full {
		for _, l := range r.lines[r.next:] {
			b.WriteString(l)
		}
	}
	for _, l := range r.lines[:r.next] {
		b.WriteString(l)
	}
	return b.String()
}

// teeHandler sends each record to every handler.
type teeHandler []slog.Handler

func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range t {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range t {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(teeHandler, len(t))
	for i, h := range t {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	out := make(teeHandler, len(t))
	for i, h := range t {
		out[i] = h.WithGroup(name)
	}
	return out
}

// logLines is how much of the log a bundle carries.
const logLines = 2000

// withRing returns a logger writing to h and to a ring of the last
// logLines lines, and the ring.
func withRing(h slog.Handler) (*slog.Logger, *ring) {
	r := newRing(logLines)
	return slog.New(teeHandler{h, slog.NewTextHandler(r, nil)}), r
}

// diagnostics builds and sends bundles.
type diagnostics struct {
	kioskID string
	log     *ring
	ps      *peripherals
	st      *store.Store
	upd     *updateLink
	started time.Time
	logger  *slog.Logger

	answered uint64 // the request document version answered
}

// bundle is the diagnostics bundle's files as things stand.
func (d *diagnostics) bundle() []wire.DiagnosticFile {
	var kiosk bytes.Buffer
	fmt.Fprintf(&kiosk, "kiosk %s\nsoftware %s (%s, %s/%s)\nstarted %s (up %s)\n", d.kioskID, version, runtime.Version(), runtime.GOOS, runtime.GOARCH,
		d.started.UTC().Format(time.RFC3339), time.Since(d.started).Round(time.Second))
	var per bytes.Buffer
	for _, h := range d.ps.healthSnapshot() {
		fmt.Fprintf(&per, "%-8s %-12s since %s  %s  %s\n", h.Device, h.State, h.Since.UTC().Format(time.RFC3339), h.Path, h.Reason)
	}
	per.WriteString("\nhistory (oldest first):\n")
	per.WriteString(d.ps.history.String())
	var st bytes.Buffer
	if h, err := d.st.Health(); err != nil {
		fmt.Fprintf(&st, "store health: %v\n", err)
	} else {
		fmt.Fprintf(&st, "queue depth %d, oldest %s, in use %d bytes, residue %d, limited %v, audit head %d\n", h.QueueDepth, h.OldestAge.Round(time.Second), h.InUse, h.Residue, h.Limited, h.AuditHead.Seq)
	}
	if f, err := d.st.Feed(); err == nil {
		fmt.Fprintf(&st, "change feed applied to %d\n", f.Since)
	}
	files := []wire.DiagnosticFile{
		{Name: "kiosk.txt", Content: kiosk.String()},
		{Name: "peripherals.txt", Content: per.String()},
		{Name: "store.txt", Content: st.String()},
		{Name: "log.txt", Content: strings.ToValidUTF8(d.log.String(), "?")},
	}
	if d.upd != nil && d.upd.statusFile != "" {
		if b, err := os.ReadFile(d.upd.statusFile); err == nil {
			files = append(files, wire.DiagnosticFile{Name: "update.json", Content: strings.ToValidUTF8(string(b), "?")})
		}
	}
	return files
}

// answer sends a bundle if the newest diagnostics request is for this
// kiosk and not answered yet.
func (d *diagnostics) answer(ctx context.Context, link *syncLink) error {
	if link.c == nil {
		return nil
	}
	doc, err := d.st.Document(store.ChangeReferenceData, wire.DocDiagnostics)
	if errors.Is(err, store.ErrNotFound) || (err == nil && doc.Version == d.answered) {
		return nil
	}
	if err != nil {
		return err
	}
	var ask wire.DiagnosticsAsk
	if err := json.Unmarshal(doc.Payload, &ask); err != nil {
		return fmt.Errorf("guichet: diagnostics request: %w", err)
	}
	if ask.KioskID != d.kioskID {
		d.answered = doc.Version
		return nil
	}
	if err := link.c.SendDiagnostics(ctx, ask.Request, d.bundle()); err != nil {
		return err
	}
	d.answered = doc.Version
	d.logger.Info("diagnostics sent", "request", ask.Request, "asked_by", ask.AskedBy)
	return nil
}

// run answers requests as the change feed brings them.
func (d *diagnostics) run(ctx context.Context, link *syncLink, period time.Duration) {
	every(ctx, period, func() bool {
		if err := d.answer(ctx, link); err != nil {
			d.logger.Warn("diagnostics not sent", "err", err)
		}
		return true
	})
}

// healthLine is one line of the peripherals' history.
func healthLine(h drivers.Health) string {
	return fmt.Sprintf("%s %-8s %-12s %s\n", time.Now().UTC().Format(time.RFC3339), h.Device, h.State, h.Reason)
}
