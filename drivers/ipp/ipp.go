package ipp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	goipp "github.com/phin1x/go-ipp"

	"guichet/kiosk/clock"
)

// Config is the laser printer's part of the kiosk configuration.
type Config struct {
	Host  string `json:"host"`  // the CUPS server: "localhost"
	Port  int    `json:"port"`  // 631
	Queue string `json:"queue"` // the CUPS queue: "laser"
	User  string `json:"user"`  // requesting-user-name: "guichet"
	TLS   bool   `json:"tls"`
	// Poll is how often a job being followed, and the printer, are read.
	Poll time.Duration `json:"poll"`
}

// DefaultConfig is a local CUPS on its usual port, queue "laser", polled
// every second.
func DefaultConfig() Config {
	return Config{Host: "localhost", Port: 631, Queue: "laser", User: "guichet", Poll: time.Second}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.Host == "":
		return errors.New("ipp: config: no host")
	case c.Port <= 0 || c.Port > 65535:
		return fmt.Errorf("ipp: config: port %d", c.Port)
	case c.Queue == "" || strings.ContainsAny(c.Queue, "/#? \t"):
		return fmt.Errorf("ipp: config: queue %q: want a CUPS queue name", c.Queue)
	case c.User == "":
		return errors.New("ipp: config: no user")
	case c.Poll < 10*time.Millisecond:
		return fmt.Errorf("ipp: config: poll %v: at least 10ms", c.Poll)
	}
	return nil
}

// Errors callers branch on. Every error of this package wraps one of
// them, or a context error, with what was being done and where.
var (
	// ErrUnreachable: nothing answers at the configured host and port
	// (CUPS stopped, wrong port, network down).
	ErrUnreachable = errors.New("print server unreachable")
	// ErrNoQueue: the server has no such queue.
	ErrNoQueue = errors.New("no such print queue")
	// ErrNotAccepting: the queue refuses new jobs (cupsreject).
	ErrNotAccepting = errors.New("print queue not accepting jobs")
	// ErrNoJob: the server does not know the job (purged from its history).
	ErrNoJob = errors.New("no such print job")
	// ErrRefused: the server refused the request for another reason.
	ErrRefused = errors.New("print request refused")
	// ErrJobFailed: the job ended without printing (aborted or canceled).
	ErrJobFailed = errors.New("print job failed")
	// ErrJobPending: the wait ended before the job printed; the job is
	// still queued on the server and may print later.
	ErrJobPending = errors.New("print job not printed yet")
)

// Document is one PDF to print.
type Document struct {
	// Name is the job's name on the server, and what makes a submission
	// idempotent: while a job of that name is queued or printing, Submit
	// follows it instead of sending the document again. "extract
	// B3/2026/004217". No personal data: it shows in the server's logs.
	Name string
	PDF  []byte
}

// Job is a print job as the server reports it.
type Job struct {
	ID      int
	Name    string
	State   JobState
	Reasons []string // job-state-reasons: "job-completed-successfully", "printer-stopped", ...
	Message string   // job-state-message
	Pages   int      // job-impressions-completed
	At      time.Time
}

// Event is what following a job or watching the printer reports:
// JobChanged, PrinterChanged or ServerUnreachable.
type Event interface{ isEvent() }

// JobChanged is a job's new state.
type JobChanged struct{ Job Job }

// PrinterChanged is the printer's new status (state, reasons, message or
// acceptance changed).
type PrinterChanged struct{ Status Status }

// ServerUnreachable is reported once when the print server stops
// answering; the next PrinterChanged says it is back.
type ServerUnreachable struct {
	Err error
	At  time.Time
}

func (JobChanged) isEvent()        {}
func (PrinterChanged) isEvent()    {}
func (ServerUnreachable) isEvent() {}

// JobError is a job that did not print: ErrJobFailed when it ended
// without printing, ErrJobPending (and the context's error) when the wait
// ended first. Job and Printer say why.
type JobError struct {
	Job     Job
	Printer Status
	Err     error // ErrJobFailed or ErrJobPending
	Cause   error // the context's error for ErrJobPending
	queue   string
}

func (e *JobError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ipp: job %d %q on %s is %s", e.Job.ID, e.Job.Name, e.queue, e.Job.State)
	if len(e.Job.Reasons) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(e.Job.Reasons, ", "))
	}
	if e.Job.Message != "" {
		fmt.Fprintf(&b, ": %q", e.Job.Message)
	}
	if h := e.Printer.Health("laser", e.queue, time.Time{}); h.Reason != "" {
		fmt.Fprintf(&b, "; printer %s: %s", e.Printer.State, h.Reason)
	} else if e.Printer.Message != "" && e.Printer.Message != e.Job.Message {
		// A printer that failed a job and is ready again still says why.
		fmt.Fprintf(&b, "; printer says: %q", e.Printer.Message)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if e.Cause != nil {
		fmt.Fprintf(&b, " (%v)", e.Cause)
	}
	return b.String()
}

func (e *JobError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// Printer is one CUPS (or IPP Everywhere) queue.
type Printer struct {
	cfg     Config
	adapter *goipp.HttpAdapter
	clock   clock.Clock
	log     *slog.Logger
	reqID   atomic.Int32 // Watch and Print may run at once
}

// Option configures a Printer.
type Option func(*Printer)

// WithClock sets the clock that times polling and stamps events.
func WithClock(c clock.Clock) Option { return func(p *Printer) { p.clock = c } }

// WithLogger sets where the printer logs jobs and status changes.
func WithLogger(l *slog.Logger) Option { return func(p *Printer) { p.log = l } }

// New returns the printer of cfg. It does not connect: every call does.
func New(cfg Config, opts ...Option) (*Printer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Printer{cfg: cfg, clock: clock.System, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(p)
	}
	client := &http.Client{Transport: &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		ResponseHeaderTimeout: 30 * time.Second,
	}}
	p.adapter = goipp.NewHttpAdapter(cfg.Host, cfg.Port, "", "", cfg.TLS, goipp.WithHttpClient(client))
	return p, nil
}

// where names the queue in messages: "laser at localhost:631".
func (p *Printer) where() string {
	return p.cfg.Queue + " at " + net.JoinHostPort(p.cfg.Host, strconv.Itoa(p.cfg.Port))
}

func (p *Printer) printerURI() string {
	scheme := "ipp"
	if p.cfg.TLS {
		scheme = "ipps"
	}
	return scheme + "://" + net.JoinHostPort(p.cfg.Host, strconv.Itoa(p.cfg.Port)) + "/printers/" + url.PathEscape(p.cfg.Queue)
}

// send sends one request to the queue's URL and classifies failures.
func (p *Printer) send(ctx context.Context, op string, req *goipp.Request, notFound error) (*goipp.Response, error) {
	req.RequestId = p.reqID.Add(1)
	req.OperationAttributes[goipp.AttributePrinterURI] = p.printerURI()
	req.OperationAttributes[goipp.AttributeRequestingUserName] = p.cfg.User
	resp, err := p.adapter.SendRequestContext(ctx, p.adapter.GetHttpUri("printers", url.PathEscape(p.cfg.Queue)), req, nil)
	if err == nil {
		return resp, nil
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("ipp: %s on %s: %w", op, p.where(), ctx.Err())
	}
	var ie goipp.IPPError
	if errors.As(err, &ie) {
		sentinel := ErrRefused
		switch ie.Status {
		case goipp.StatusErrorNotFound:
			sentinel = notFound
		case goipp.StatusErrorNotAcceptingJobs:
			sentinel = ErrNotAccepting
		}
		return nil, fmt.Errorf("ipp: %s on %s: server says %q (IPP status %#04x): %w", op, p.where(), ie.Message, uint16(ie.Status), sentinel)
	}
	var he goipp.HTTPError
	if errors.As(err, &he) {
		return nil, fmt.Errorf("ipp: %s on %s: HTTP status %d: %w", op, p.where(), he.Code, ErrRefused)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return nil, fmt.Errorf("ipp: %s on %s: %w: %v", op, p.where(), ErrUnreachable, err)
	}
	return nil, fmt.Errorf("ipp: %s on %s: %w", op, p.where(), err)
}

var statusAttributes = []string{
	"printer-state", "printer-state-reasons", "printer-state-message",
	"printer-is-accepting-jobs", "queued-job-count", "marker-names", "marker-levels",
}

// Status reads the printer's state.
func (p *Printer) Status(ctx context.Context) (Status, error) {
	req := goipp.NewRequest(goipp.OperationGetPrinterAttributes, 0)
	req.OperationAttributes[goipp.AttributeRequestedAttributes] = statusAttributes
	resp, err := p.send(ctx, "reading the printer's state", req, ErrNoQueue)
	if err != nil {
		return Status{}, err
	}
	if len(resp.PrinterAttributes) == 0 {
		return Status{}, fmt.Errorf("ipp: reading the printer's state on %s: no printer attributes in the answer: %w", p.where(), ErrRefused)
	}
	return decodeStatus(p.cfg.Queue, resp.PrinterAttributes[0], p.clock.Now()), nil
}

func decodeStatus(queue string, a goipp.Attributes, at time.Time) Status {
	s := Status{Queue: queue, At: at}
	state, _ := attrInt(a, "printer-state")
	s.State = PrinterState(state)
	s.Reasons = DecodeReasons(attrStrings(a, "printer-state-reasons"))
	s.Message, _ = attrString(a, "printer-state-message")
	s.AcceptingJobs, _ = attrBool(a, "printer-is-accepting-jobs")
	s.QueuedJobs, _ = attrInt(a, "queued-job-count")
	names := attrStrings(a, "marker-names")
	levels := attrInts(a, "marker-levels")
	for i, n := range names {
		m := Marker{Name: n, Level: -1}
		if i < len(levels) {
			m.Level = levels[i]
		}
		s.Markers = append(s.Markers, m)
	}
	return s
}

var jobAttributes = []string{
	"job-id", "job-name", "job-state", "job-state-reasons", "job-state-message", "job-impressions-completed",
}

// Job reads one job's state.
func (p *Printer) Job(ctx context.Context, id int) (Job, error) {
	req := goipp.NewRequest(goipp.OperationGetJobAttributes, 0)
	req.OperationAttributes[goipp.AttributeJobID] = id
	req.OperationAttributes[goipp.AttributeRequestedAttributes] = jobAttributes
	resp, err := p.send(ctx, fmt.Sprintf("reading job %d", id), req, ErrNoJob)
	if err != nil {
		return Job{}, err
	}
	if len(resp.JobAttributes) == 0 {
		return Job{}, fmt.Errorf("ipp: reading job %d on %s: no job attributes in the answer: %w", id, p.where(), ErrNoJob)
	}
	return decodeJob(resp.JobAttributes[0], p.clock.Now()), nil
}

func decodeJob(a goipp.Attributes, at time.Time) Job {
	j := Job{At: at}
	j.ID, _ = attrInt(a, "job-id")
	j.Name, _ = attrString(a, "job-name")
	state, _ := attrInt(a, "job-state")
	j.State = JobState(state)
	for _, r := range attrStrings(a, "job-state-reasons") {
		if r != "none" {
			j.Reasons = append(j.Reasons, r)
		}
	}
	j.Message, _ = attrString(a, "job-state-message")
	j.Pages, _ = attrInt(a, "job-impressions-completed")
	return j
}

// activeJob returns the queued or printing job named name, if any.
func (p *Printer) activeJob(ctx context.Context, name string) (Job, bool, error) {
	req := goipp.NewRequest(goipp.OperationGetJobs, 0)
	req.OperationAttributes[goipp.AttributeWhichJobs] = "not-completed"
	req.OperationAttributes[goipp.AttributeMyJobs] = true
	req.OperationAttributes[goipp.AttributeRequestedAttributes] = jobAttributes
	resp, err := p.send(ctx, "listing the queue's jobs", req, ErrNoQueue)
	if err != nil {
		return Job{}, false, err
	}
	for _, a := range resp.JobAttributes {
		j := decodeJob(a, p.clock.Now())
		if j.Name == name && !j.State.Terminal() {
			return j, true, nil
		}
	}
	return Job{}, false, nil
}

// MaxDocument is the largest PDF Submit sends.
const MaxDocument = 32 << 20

// Submit queues doc on the printer and returns the job. If a job of the
// same name is still queued or printing (an earlier attempt that timed out
// waiting for paper), it returns that job instead of printing twice.
//
// A stopped printer (out of paper, door open, paused) still takes the job:
// the server keeps it and prints it when the printer is back. Submit fails
// only when the job could not be queued; the caller then keeps its request
// and tries again later.
func (p *Printer) Submit(ctx context.Context, doc Document) (Job, error) {
	switch {
	case doc.Name == "" || len(doc.Name) > 255:
		return Job{}, fmt.Errorf("ipp: submit: document name %q: want 1 to 255 bytes", doc.Name)
	case !bytes.HasPrefix(doc.PDF, []byte("%PDF-")):
		return Job{}, fmt.Errorf("ipp: submit %q: not a PDF", doc.Name)
	case len(doc.PDF) > MaxDocument:
		return Job{}, fmt.Errorf("ipp: submit %q: %d bytes, at most %d", doc.Name, len(doc.PDF), MaxDocument)
	}
	if j, ok, err := p.activeJob(ctx, doc.Name); err != nil {
		return Job{}, err
	} else if ok {
		p.log.Info("ipp: job already queued; following it", "queue", p.cfg.Queue, "job", j.ID, "name", j.Name, "state", j.State.String())
		return j, nil
	}
	req := goipp.NewRequest(goipp.OperationPrintJob, 0)
	req.OperationAttributes[goipp.AttributeJobName] = doc.Name
	req.OperationAttributes[goipp.AttributeDocumentFormat] = "application/pdf"
	req.File = bytes.NewReader(doc.PDF)
	req.FileSize = len(doc.PDF)
	resp, err := p.send(ctx, fmt.Sprintf("printing %q", doc.Name), req, ErrNoQueue)
	if err != nil {
		return Job{}, err
	}
	if len(resp.JobAttributes) == 0 {
		return Job{}, fmt.Errorf("ipp: printing %q on %s: no job in the answer: %w", doc.Name, p.where(), ErrRefused)
	}
	j := decodeJob(resp.JobAttributes[0], p.clock.Now())
	if j.ID <= 0 {
		return Job{}, fmt.Errorf("ipp: printing %q on %s: job id %d in the answer: %w", doc.Name, p.where(), j.ID, ErrRefused)
	}
	if j.Name == "" {
		j.Name = doc.Name
	}
	p.log.Info("ipp: job queued", "queue", p.cfg.Queue, "job", j.ID, "name", doc.Name, "bytes", len(doc.PDF))
	return j, nil
}

// Wait follows job id until it completes, fails, or ctx ends, reporting
// every change of the job and of the printer to events (which may be
// nil). It returns the completed job, or a *JobError wrapping
// ErrJobFailed (aborted, canceled) or ErrJobPending (ctx ended while the
// job waited, for paper for example; it stays queued and Wait may be
// called again). A server that stops answering is reported once and
// waited for.
func (p *Printer) Wait(ctx context.Context, id int, events func(Event)) (Job, error) {
	return p.wait(ctx, id, Job{}, events)
}

// wait is Wait knowing the job's last reported state.
func (p *Printer) wait(ctx context.Context, id int, last Job, events func(Event)) (Job, error) {
	if events == nil {
		events = func(Event) {}
	}
	var lastStatus *Status
	unreachable := false
	for {
		j, err := p.Job(ctx, id)
		switch {
		case err == nil:
			unreachable = false
		case errors.Is(err, ErrUnreachable):
			if !unreachable {
				unreachable = true
				p.log.Warn("ipp: print server unreachable while following a job", "queue", p.cfg.Queue, "job", id, "err", err)
				events(ServerUnreachable{Err: err, At: p.clock.Now()})
			}
		case ctx.Err() != nil:
			return last, p.pending(last, lastStatus, ctx.Err())
		default:
			return last, err
		}
		if err == nil {
			if !sameJob(j, last) {
				events(JobChanged{Job: j})
			}
			last = j
			st, serr := p.Status(ctx)
			if serr == nil && (lastStatus == nil || !sameStatus(st, *lastStatus)) {
				p.logStatus(st)
				events(PrinterChanged{Status: st})
				lastStatus = &st
			}
			if j.State.Terminal() {
				if j.State == JobCompleted {
					p.log.Info("ipp: job printed", "queue", p.cfg.Queue, "job", j.ID, "name", j.Name, "pages", j.Pages)
					return j, nil
				}
				e := &JobError{Job: j, Err: ErrJobFailed, queue: p.where()}
				if lastStatus != nil {
					e.Printer = *lastStatus
				}
				p.log.Warn("ipp: job failed", "queue", p.cfg.Queue, "job", j.ID, "err", e)
				return j, e
			}
		}
		if err := p.sleep(ctx); err != nil {
			return last, p.pending(last, lastStatus, err)
		}
	}
}

func (p *Printer) pending(j Job, st *Status, cause error) error {
	e := &JobError{Job: j, Err: ErrJobPending, Cause: cause, queue: p.where()}
	if st != nil {
		e.Printer = *st
	}
	return e
}

// Print submits doc and waits for it (Submit, then Wait).
func (p *Printer) Print(ctx context.Context, doc Document, events func(Event)) (Job, error) {
	j, err := p.Submit(ctx, doc)
	if err != nil {
		return Job{}, err
	}
	if events != nil {
		events(JobChanged{Job: j})
	}
	return p.wait(ctx, j.ID, j, events)
}

// Watch reads the printer's status every poll interval until ctx ends and
// reports each change (PrinterChanged, with the first status read) and
// each loss of the server (ServerUnreachable, once per outage). It is
// what feeds the technician screen and telemetry between jobs.
func (p *Printer) Watch(ctx context.Context, events func(Event)) error {
	var last *Status
	unreachable := false
	for {
		st, err := p.Status(ctx)
		switch {
		case err == nil:
			if unreachable || last == nil || !sameStatus(st, *last) {
				p.logStatus(st)
				events(PrinterChanged{Status: st})
			}
			last, unreachable = &st, false
		case ctx.Err() != nil:
			return ctx.Err()
		case !unreachable:
			unreachable = true
			p.log.Warn("ipp: print server unreachable", "queue", p.cfg.Queue, "err", err)
			events(ServerUnreachable{Err: err, At: p.clock.Now()})
		}
		if err := p.sleep(ctx); err != nil {
			return err
		}
	}
}

func (p *Printer) logStatus(st Status) {
	h := st.Health("laser", p.cfg.Queue, st.At)
	level := slog.LevelInfo
	if h.Reason != "" {
		level = slog.LevelWarn
	}
	p.log.Log(context.Background(), level, "ipp: printer status", "queue", p.cfg.Queue, "state", st.State.String(), "health", string(h.State), "reason", h.Reason)
}

// sleep waits one poll interval on the injected clock.
func (p *Printer) sleep(ctx context.Context) error {
	done := make(chan struct{})
	t := p.clock.AfterFunc(p.cfg.Poll, func() { close(done) })
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	}
}

func sameJob(a, b Job) bool {
	return a.ID == b.ID && a.State == b.State && a.Message == b.Message && a.Pages == b.Pages && slices.Equal(a.Reasons, b.Reasons)
}

func sameStatus(a, b Status) bool {
	return a.State == b.State && a.Message == b.Message && a.AcceptingJobs == b.AcceptingJobs &&
		slices.Equal(a.Reasons, b.Reasons) && slices.Equal(a.Markers, b.Markers)
}

// Attribute readers: go-ipp decodes integers and enums as int, booleans as
// bool, and every string type as string.

func attrInt(a goipp.Attributes, name string) (int, bool) {
	vs := a[name]
	if len(vs) == 0 {
		return 0, false
	}
	v, ok := vs[0].Value.(int)
	return v, ok
}

func attrInts(a goipp.Attributes, name string) []int {
	var out []int
	for _, v := range a[name] {
		if i, ok := v.Value.(int); ok {
			out = append(out, i)
		}
	}
	return out
}

func attrString(a goipp.Attributes, name string) (string, bool) {
	vs := a[name]
	if len(vs) == 0 {
		return "", false
	}
	v, ok := vs[0].Value.(string)
	return v, ok
}

func attrStrings(a goipp.Attributes, name string) []string {
	var out []string
	for _, v := range a[name] {
		if s, ok := v.Value.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func attrBool(a goipp.Attributes, name string) (bool, bool) {
	vs := a[name]
	if len(vs) == 0 {
		return false, false
	}
	v, ok := vs[0].Value.(bool)
	return v, ok
}
