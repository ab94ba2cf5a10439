package ipp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"

	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	goipp "github.com/phin1x/go-ipp"
)

// A fake IPP server, for the paths a real CUPS cannot be made to take on
// demand. Its answers are encoded here, by hand from RFC 8010, not with
// go-ipp's encoder.

// IPP value tags (RFC 8010, 3.5.2).
const (
	tagInteger  = 0x21
	tagBoolean  = 0x22
	tagEnum     = 0x23
	tagText     = 0x41
	tagName     = 0x42
	tagKeyword  = 0x44
	tagCharset  = 0x47
	tagLanguage = 0x48
)

type attr struct {
	tag    byte
	name   string
	values []any // int or bool or string
}

type group struct {
	tag   byte // 0x02 job, 0x04 printer
	attrs []attr
}

func encodeResponse(status uint16, reqID uint32, groups ...group) []byte {
	var b bytes.Buffer
	b.Write([]byte{2, 0})
	binary.Write(&b, binary.BigEndian, status)
	binary.Write(&b, binary.BigEndian, reqID)
	all := append([]group{{0x01, []attr{
		{tagCharset, "attributes-charset", []any{"utf-8"}},
		{tagLanguage, "attributes-natural-language", []any{"en"}},
	}}}, groups...)
	for _, g := range all {
		b.WriteByte(g.tag)
		for _, a := range g.attrs {
			for i, v := range a.values {
				b.WriteByte(a.tag)
				name := a.name
				if i > 0 {
					name = ""
				}
				binary.Write(&b, binary.BigEndian, uint16(len(name)))
				b.WriteString(name)
				switch v := v.(type) {
				case int:
					binary.Write(&b, binary.BigEndian, uint16(4))
					binary.Write(&b, binary.BigEndian, int32(v))
				case bool:
					binary.Write(&b, binary.BigEndian, uint16(1))
					if v {
						b.WriteByte(1)
					} else {
						b.WriteByte(0)
					}
				case string:
					binary.Write(&b, binary.BigEndian, uint16(len(v)))
					b.WriteString(v)
				}
			}
		}
	}
	b.WriteByte(0x03)
	return b.Bytes()
}

// fakeJob is the state the fake server reports for a job.
type fakeJob struct {
	state   int
	reasons []string
	message string
}

// fakeServer answers Get-Printer-Attributes, Get-Jobs, Print-Job and
// Get-Job-Attributes from its fields; a test changes them between polls.
type fakeServer struct {
	mu       sync.Mutex
	printer  []attr
	jobs     []fakeJob // the job's successive states, one per Get-Job-Attributes
	polls    int
	queued   []string // job names of active jobs (Get-Jobs)
	printed  [][]byte // documents received
	status   uint16   // IPP status for every answer (0 ok)
	httpCode int      // non-zero: answer with this HTTP status
	ops      []int16
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var doc bytes.Buffer
	// Read the body first: go-ipp's decoder takes a short read with
	// io.EOF for an error.
	raw, _ := io.ReadAll(r.Body)
	req, err := goipp.NewRequestDecoder(bytes.NewReader(raw)).Decode(&doc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops = append(f.ops, req.Operation)
	if f.httpCode != 0 {
		http.Error(w, "no", f.httpCode)
		return
	}
	if req.OperationAttributes["requesting-user-name"] != "guichet" || !strings.HasSuffix(req.OperationAttributes["printer-uri"].(string), "/printers/laser") {
		http.Error(w, "bad request attributes", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/ipp")
	if f.status != 0 {
		w.Write(encodeResponse(f.status, uint32(req.RequestId), group{0x01, []attr{{tagText, "status-message", []any{"The printer or class does not exist."}}}}))
		return
	}
	job := func(id int, name string, j fakeJob) group {
		reasons := make([]any, 0, len(j.reasons))
		for _, r := range j.reasons {
			reasons = append(reasons, r)
		}
		if len(reasons) == 0 {
			reasons = []any{"none"}
		}
		g := group{0x02, []attr{
			{tagInteger, "job-id", []any{id}},
			{tagName, "job-name", []any{name}},
			{tagEnum, "job-state", []any{j.state}},
			{tagKeyword, "job-state-reasons", reasons},
		}}
		if j.message != "" {
			g.attrs = append(g.attrs, attr{tagText, "job-state-message", []any{j.message}})
		}
		return g
	}
	switch req.Operation {
	case goipp.OperationGetPrinterAttributes:
		w.Write(encodeResponse(0, uint32(req.RequestId), group{0x04, f.printer}))
	case goipp.OperationGetJobs:
		var gs []group
		for i, n := range f.queued {
			gs = append(gs, job(100+i, n, fakeJob{state: 3}))
		}
		w.Write(encodeResponse(0, uint32(req.RequestId), gs...))
	case goipp.OperationPrintJob:
		f.printed = append(f.printed, doc.Bytes())
		w.Write(encodeResponse(0, uint32(req.RequestId), job(7, req.OperationAttributes["job-name"].(string), fakeJob{state: 3})))
	case goipp.OperationGetJobAttributes:
		j := f.jobs[min(f.polls, len(f.jobs)-1)]
		f.polls++
		w.Write(encodeResponse(0, uint32(req.RequestId), job(req.OperationAttributes["job-id"].(int), "extract B3/2026/004217", j)))
	default:
		w.Write(encodeResponse(0x0501, uint32(req.RequestId)))
	}
}

func printerAttrs(state int, accepting bool, message string, reasons ...string) []attr {
	rs := []any{"none"}
	if len(reasons) > 0 {
		rs = rs[:0]
		for _, r := range reasons {
			rs = append(rs, r)
		}
	}
	return []attr{
		{tagEnum, "printer-state", []any{state}},
		{tagKeyword, "printer-state-reasons", rs},
		{tagText, "printer-state-message", []any{message}},
		{tagBoolean, "printer-is-accepting-jobs", []any{accepting}},
		{tagInteger, "queued-job-count", []any{1}},
		{tagName, "marker-names", []any{"Black Toner"}},
		{tagInteger, "marker-levels", []any{12}},
	}
}

func startFake(t *testing.T, f *fakeServer) *Printer {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	host, port, _ := net.SplitHostPort(u.Host)
	n, _ := strconv.Atoi(port)
	p, err := New(Config{Host: host, Port: n, Queue: "laser", User: "guichet", Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var testDoc = Document{Name: "extract B3/2026/004217", PDF: []byte("%PDF-1.4\n%%EOF\n")}

func TestFakeStatus(t *testing.T) {
	f := &fakeServer{printer: printerAttrs(5, true, "Out of paper", "media-empty-error", "paused")}
	p := startFake(t, f)
	st, err := p.Status(context.Background())
	if err != nil {
		t.Fatalf("Status() error: %v", err)
	}
	want := Status{
		Queue: "laser", State: Stopped, Message: "Out of paper", AcceptingJobs: true, QueuedJobs: 1,
		Reasons: []Reason{{"media-empty-error", MediaEmpty, Error}, {"paused", Paused, Error}},
		Markers: []Marker{{"Black Toner", 12}},
	}
	st.At = time.Time{}
	if d := cmpDiff(want, st); d != "" {
		t.Errorf("Status() (-want +got):\n%s", d)
	}
}

// TestFakeWait follows a job through its states: every change is an
// event, in order, and the completed job is returned.
func TestFakeWait(t *testing.T) {
	f := &fakeServer{
		printer: printerAttrs(4, true, ""),
		jobs: []fakeJob{
			{state: 3}, {state: 3}, {state: 5, reasons: []string{"job-printing"}},
			{state: 5, reasons: []string{"job-printing"}}, {state: 9, reasons: []string{"job-completed-successfully"}},
		},
	}
	p := startFake(t, f)
	var events []string
	j, err := p.Print(context.Background(), testDoc, func(e Event) {
		switch e := e.(type) {
		case JobChanged:
			events = append(events, "job "+e.Job.State.String())
		case PrinterChanged:
			events = append(events, "printer "+e.Status.State.String())
		}
	})
	if err != nil {
		t.Fatalf("Print() error: %v", err)
	}
	if j.ID != 7 || j.State != JobCompleted {
		t.Errorf("Print() = job %d %s, want 7 completed", j.ID, j.State)
	}
	want := []string{"job pending", "printer processing", "job processing", "job completed"}
	if d := cmpDiff(want, events); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
	if len(f.printed) != 1 || !bytes.Equal(f.printed[0], testDoc.PDF) {
		t.Errorf("server received %d documents, want the one PDF", len(f.printed))
	}
}

func TestFakeErrors(t *testing.T) {
	tests := []struct {
		name string
		f    *fakeServer
		ctx  time.Duration // 0: no deadline
		want error
		text []string // in the error's message
	}{
		{"aborted", &fakeServer{printer: printerAttrs(3, true, "Fuser failure (error 50.1)"), jobs: []fakeJob{
			{state: 5}, {state: 8, reasons: []string{"job-aborted-by-system"}, message: "Fuser failure (error 50.1)"},
		}}, 0, ErrJobFailed, []string{`job 7 "extract B3/2026/004217"`, "is aborted", "job-aborted-by-system", "Fuser failure (error 50.1)", "print job failed"}},
		{"canceled", &fakeServer{printer: printerAttrs(3, true, ""), jobs: []fakeJob{{state: 7, reasons: []string{"job-canceled-by-operator"}}}},
			0, ErrJobFailed, []string{"is canceled", "job-canceled-by-operator"}},
		{"waiting for paper", &fakeServer{printer: printerAttrs(5, true, "Out of paper", "media-empty-error", "paused"), jobs: []fakeJob{
			{state: 3, reasons: []string{"printer-stopped"}},
		}}, 150 * time.Millisecond, ErrJobPending, []string{"is pending (printer-stopped)", "printer stopped: out of paper: load paper", "not printed yet", "deadline exceeded"}},
		{"no such queue", &fakeServer{status: 0x0406}, 0, ErrNoQueue, []string{`server says "The printer or class does not exist." (IPP status 0x0406)`, "laser at 127.0.0.1:"}},
		{"not accepting", &fakeServer{status: 0x0506}, 0, ErrNotAccepting, []string{"IPP status 0x0506"}},
		{"forbidden", &fakeServer{status: 0x0401}, 0, ErrRefused, []string{"IPP status 0x0401"}},
		{"HTTP error", &fakeServer{httpCode: http.StatusUnauthorized}, 0, ErrRefused, []string{"HTTP status 401"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startFake(t, tt.f)
			ctx := context.Background()
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			_, err := p.Print(ctx, testDoc, nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Print() = %v, want %v", err, tt.want)
			}
			for _, s := range tt.text {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Print() error %q lacks %q", err, s)
				}
			}
			if !strings.HasPrefix(err.Error(), "ipp: ") {
				t.Errorf("Print() error %q lacks the package prefix", err)
			}
			var je *JobError
			if errors.As(err, &je) && je.Job.ID != 7 {
				t.Errorf("JobError.Job.ID = %d, want 7", je.Job.ID)
			}
		})
	}
}

// TestFakeIdempotent: a job of the same name still queued is followed,
// not printed again.
func TestFakeIdempotent(t *testing.T) {
	f := &fakeServer{printer: printerAttrs(3, true, ""), queued: []string{"receipt X", testDoc.Name}}
	p := startFake(t, f)
	j, err := p.Submit(context.Background(), testDoc)
	if err != nil {
		t.Fatal(err)
	}
	if j.ID != 101 || len(f.printed) != 0 {
		t.Errorf("Submit() = job %d with %d documents sent, want the queued job 101 and none", j.ID, len(f.printed))
	}
	for _, doc := range []Document{{Name: "", PDF: testDoc.PDF}, {Name: "x", PDF: []byte("GIF89a")}} {
		if _, err := p.Submit(context.Background(), doc); err == nil {
			t.Errorf("Submit(%q) = nil error, want one", doc.Name)
		}
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	p, err := New(Config{Host: "127.0.0.1", Port: port, Queue: "laser", User: "guichet", Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Submit(context.Background(), testDoc); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Submit() = %v, want ErrUnreachable", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	n := 0
	err = p.Watch(ctx, func(e Event) {
		if _, ok := e.(ServerUnreachable); ok {
			n++
		}
	})
	if !errors.Is(err, context.DeadlineExceeded) || n != 1 {
		t.Errorf("Watch() = %v with %d ServerUnreachable, want the deadline and exactly 1", err, n)
	}
}

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
	for _, c := range []Config{
		{Port: 631, Queue: "laser", User: "g", Poll: time.Second},
		{Host: "h", Port: 0, Queue: "laser", User: "g", Poll: time.Second},
		{Host: "h", Port: 631, Queue: "la/ser", User: "g", Poll: time.Second},
		{Host: "h", Port: 631, Queue: "laser", Poll: time.Second},
		{Host: "h", Port: 631, Queue: "laser", User: "g"},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) = nil error, want one", c)
		}
	}
}

func cmpDiff(want, got any) string { return cmp.Diff(want, got) }

// TestFakeWatchWhilePrinting: the technician screen's Watch and a Print
// share one Printer (run with -race).
func TestFakeWatchWhilePrinting(t *testing.T) {
	f := &fakeServer{printer: printerAttrs(3, true, ""), jobs: []fakeJob{{state: 3}, {state: 5}, {state: 9}}}
	p := startFake(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan int)
	go func() {
		n := 0
		p.Watch(ctx, func(e Event) {
			if _, ok := e.(PrinterChanged); ok {
				n++
			}
		})
		watched <- n
	}()
	if _, err := p.Print(context.Background(), testDoc, nil); err != nil {
		t.Errorf("Print() error: %v", err)
	}
	cancel()
	if n := <-watched; n != 1 {
		t.Errorf("Watch reported %d PrinterChanged for an unchanging printer, want 1", n)
	}
}
