package cupsemu

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrUnavailable is wrapped by Start's error when this system cannot run
// the emulated printer: a package is missing or the process is not root.
var ErrUnavailable = errors.New("cupsemu: cannot run an emulated CUPS server here")

// Paths of the Debian packages.
const (
	cupsBin      = "/usr/lib/cups"
	cupsPDF      = "/usr/lib/cups/backend/cups-pdf"
	cupsPDFPPD   = "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd"
	cupsPDFConfs = "/etc/cups"
)

// startTimeout bounds the wait for cupsd to listen.
const startTimeout = 10 * time.Second

// Options tune Start.
type Options struct {
	// Keep leaves the server's directory (configuration, spool, logs)
	// behind on Close, to read its logs.
	Keep bool
}

// Server is a running cupsd.
type Server struct {
	Host string
	Port int

	dir    string
	keep   bool
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}

	mu       sync.Mutex
	confs    []string // cups-pdf configurations written in /etc/cups
	errorLog []byte   // the end of error_log, saved by Close
	closed   bool
	closeErr error
}

// Check reports, as an error wrapping ErrUnavailable, what this system
// lacks to run the emulated printer; nil when nothing.
func Check() error {
	for _, tool := range []string{"cupsd", "lpadmin", "cupsenable", "cupsdisable", "cupsaccept", "cupsreject"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: %s (Debian package cups) is not installed", ErrUnavailable, tool)
		}
	}
	for _, f := range []string{cupsPDF, cupsPDFPPD} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%w: %s (Debian package printer-driver-cups-pdf) is missing", ErrUnavailable, f)
		}
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: it needs root (cups-pdf runs as root and its configuration lives in /etc/cups)", ErrUnavailable)
	}
	return nil
}

// Start starts cupsd and waits until it listens; ctx bounds that wait, not
// the server's life: Close stops it.
func Start(ctx context.Context, opts Options) (_ *Server, err error) {
	if err := Check(); err != nil {
		return nil, err
	}
	// Not under the caller's directory: the filters run as user lp and
	// must reach the spool.
	dir, err := os.MkdirTemp("", "guichet-cups-")
	if err != nil {
		return nil, fmt.Errorf("cupsemu: %w", err)
	}
	s := &Server{Host: "127.0.0.1", dir: dir, keep: opts.Keep, out: &syncBuffer{}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	for _, d := range []string{"spool", "spool/tmp", "cache", "state", "log", "bin", "bin/backend", "out", "fault", "cups-pdf-spool"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("cupsemu: %w", err)
		}
	}
	for d, mode := range map[string]os.FileMode{"": 0o755, "cups-pdf-spool": 0o777 | os.ModeSticky} {
		if err := os.Chmod(filepath.Join(dir, d), mode); err != nil {
			return nil, fmt.Errorf("cupsemu: %w", err)
		}
	}
	if s.Port, err = freePort(); err != nil {
		return nil, err
	}
	if err := s.writeServerBin(); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "cupsd.conf")
	files := filepath.Join(dir, "cups-files.conf")
	if err := writeFile(conf, fmt.Sprintf(cupsdConf, s.Host, s.Port)); err != nil {
		return nil, err
	}
	if err := writeFile(files, strings.ReplaceAll(cupsFilesConf, "{dir}", dir)); err != nil {
		return nil, err
	}

	s.cmd = exec.Command("cupsd", "-f", "-c", conf, "-s", files)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("cupsemu: starting cupsd: %w", err)
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("cupsemu: cupsd exited at start:\n%s", s.out.String())
		case <-ctx.Done():
			return nil, fmt.Errorf("cupsemu: cupsd does not listen on %s (%v):\n%s", s.Addr(), ctx.Err(), s.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Dir is the server's directory: configuration, spool and logs (log/).
func (s *Server) Dir() string { return s.dir }

// Close stops cupsd and the filters and backends it started, removes the
// cups-pdf configurations it wrote and, unless Options.Keep, its directory.
// Logs still answers after Close.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.closeErr
	}
	s.closed = true
	var errs []error
	if s.cmd != nil && s.cmd.Process != nil {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.exited
		}
	}
	s.errorLog = s.readErrorLog()
	for _, c := range s.confs {
		if err := os.Remove(c); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("cupsemu: %w", err))
		}
	}
	if !s.keep {
		if err := os.RemoveAll(s.dir); err != nil {
			errs = append(errs, fmt.Errorf("cupsemu: %w", err))
		}
	}
	s.closeErr = errors.Join(errs...)
	return s.closeErr
}

// Logs returns what cupsd wrote on its output and the end of its
// error_log, to explain a failure.
func (s *Server) Logs() string {
	s.mu.Lock()
	errorLog := s.errorLog
	if !s.closed {
		errorLog = s.readErrorLog()
	}
	s.mu.Unlock()
	return fmt.Sprintf("cupsd output:\n%s\nerror_log (end):\n%s", s.out.String(), errorLog)
}

func (s *Server) readErrorLog() []byte {
	b, _ := os.ReadFile(filepath.Join(s.dir, "log", "error_log"))
	if len(b) > 8000 {
		b = b[len(b)-8000:]
	}
	return b
}

const cupsdConf = `# written by guichet's cupsemu
Listen %s:%d
LogLevel info
MaxLogSize 0
Browsing No
WebInterface No
DefaultAuthType None
PreserveJobHistory Yes
PreserveJobFiles No
JobRetryInterval 1
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
`

const cupsFilesConf = `# written by guichet's cupsemu
ServerRoot {dir}
ServerBin {dir}/bin
DataDir /usr/share/cups
RequestRoot {dir}/spool
TempDir {dir}/spool/tmp
CacheDir {dir}/cache
StateDir {dir}/state
AccessLog {dir}/log/access_log
ErrorLog {dir}/log/error_log
PageLog {dir}/log/page_log
Printcap {dir}/printcap
FileDevice No
`

// faultBackend plays a laser printer: its state is files in
// {dir}/fault/<device>: without "paper" it reports media-empty-error and
// stops the queue (exit 4, CUPS_BACKEND_STOP: the job stays queued); with
// "broken" it fails the job with that file's text (exit 1); with
// "toner-low" it reports toner-low-report; otherwise it prints through
// cups-pdf.
const faultBackend = `#!/bin/sh
if [ $# -eq 0 ]; then
  echo 'direct guichetfault "Guichet" "Guichet emulated laser printer"'
  exit 0
fi
name=${DEVICE_URI#guichetfault:/}
state="{dir}/fault/$name"
if [ -e "$state/broken" ]; then
  echo "ERROR: $(cat "$state/broken")" >&2
  exit 1
fi
if [ ! -e "$state/paper" ]; then
  echo "STATE: +media-empty-error" >&2
  echo "ERROR: Out of paper" >&2
  exit 4
fi
echo "STATE: -media-empty-error" >&2
if [ -e "$state/toner-low" ]; then
  echo "STATE: +toner-low-report" >&2
else
  echo "STATE: -toner-low-report" >&2
fi
DEVICE_URI="cups-pdf:/$name"
export DEVICE_URI
exec {cupspdf} "$@"
`

// writeServerBin makes {dir}/bin: the system's filters and backends, and
// the fault backend.
func (s *Server) writeServerBin() error {
	link := func(sub string, skip string) error {
		entries, err := os.ReadDir(filepath.Join(cupsBin, sub))
		if err != nil {
			return fmt.Errorf("cupsemu: CUPS's filters and backends: %w", err)
		}
		for _, e := range entries {
			if e.Name() == skip {
				continue
			}
			if err := os.Symlink(filepath.Join(cupsBin, sub, e.Name()), filepath.Join(s.dir, "bin", sub, e.Name())); err != nil {
				return fmt.Errorf("cupsemu: %w", err)
			}
		}
		return nil
	}
	if err := link("", "backend"); err != nil {
		return err
	}
	if err := link("backend", ""); err != nil {
		return err
	}
	script := strings.NewReplacer("{dir}", s.dir, "{cupspdf}", cupsPDF).Replace(faultBackend)
	// Mode 0700: cupsd runs a backend only its owner can run as root,
	// which cups-pdf needs.
	path := filepath.Join(s.dir, "bin", "backend", "guichetfault")
	if err := writeFile(path, script); err != nil {
		return err
	}
	if err := os.Chmod(path, 0o700); err != nil {
		return fmt.Errorf("cupsemu: %w", err)
	}
	return nil
}

// QueueOptions name a new queue and say where its PDFs land.
type QueueOptions struct {
	// Name is the queue's name on the server; "" picks a unique one.
	Name string
	// Out is the directory cups-pdf writes the queue's PDFs to, made if
	// missing and opened to all (see the package documentation); "" puts
	// them inside the server's directory.
	Out string
}

// Queue is a print queue of the server.
type Queue struct {
	Name   string
	s      *Server
	device string // the cups-pdf device name, unique to the server
	out    string // where cups-pdf writes its PDFs
}

// queueName is what CUPS accepts as a queue name, narrowed to what is safe
// in a shell and a path.
var queueName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,127}$`)

// cairo makes the queue turn PDF into PostScript with pdftocairo, as
// Debian sets up its own cups-pdf queue (README.Debian, bug #928738):
// Ghostscript's ps2write, the default, drops the text layer of CID fonts,
// and the PDF that comes out of cups-pdf could no longer be read back.
const cairo = "pdftops-renderer-default=pdftocairo"

// AddPDFQueue adds a queue printing to PDF files through cups-pdf.
func (s *Server) AddPDFQueue(opts QueueOptions) (*Queue, error) {
	q, err := s.newQueue(opts)
	if err != nil {
		return nil, err
	}
	if err := s.admin("lpadmin", "-p", q.Name, "-E", "-v", "cups-pdf:/"+q.device, "-P", cupsPDFPPD, "-o", cairo); err != nil {
		return nil, err
	}
	return q, nil
}

// Fault is a queue whose printer plays faults.
type Fault struct {
	*Queue
	state string
}

// FaultState is what a Fault's printer plays.
type FaultState struct {
	Paper    bool   // paper is loaded
	TonerLow bool   // it reports toner-low
	Broken   string // every job fails with this message; "" when it works
}

// AddFaultQueue adds a queue on the fault backend, out of paper until
// SetPaper(true), that aborts a job its printer fails (error policy
// abort-job) and stops for anything else.
func (s *Server) AddFaultQueue(opts QueueOptions) (*Fault, error) {
	q, err := s.newQueue(opts)
	if err != nil {
		return nil, err
	}
	f := &Fault{Queue: q, state: filepath.Join(s.dir, "fault", q.device)}
	if err := os.MkdirAll(f.state, 0o755); err != nil {
		return nil, fmt.Errorf("cupsemu: %w", err)
	}
	if err := s.admin("lpadmin", "-p", q.Name, "-E", "-v", "guichetfault:/"+q.device, "-P", cupsPDFPPD, "-o", cairo, "-o", "printer-error-policy=abort-job"); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *Fault) flag(name string, on bool, content string) error {
	path := filepath.Join(f.state, name)
	if on {
		return writeFile(path, content)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cupsemu: %w", err)
	}
	return nil
}

// SetPaper loads paper (true) or takes it out. A job that met the empty
// tray stopped the queue: Enable restarts it.
func (f *Fault) SetPaper(loaded bool) error { return f.flag("paper", loaded, "") }

// SetTonerLow makes the printer report toner-low from its next job on.
func (f *Fault) SetTonerLow(low bool) error { return f.flag("toner-low", low, "") }

// Break makes the printer fail every job with message ("" repairs it).
func (f *Fault) Break(message string) error {
	return f.flag("broken", message != "", message)
}

// State reads what the printer plays.
func (f *Fault) State() (FaultState, error) {
	var st FaultState
	exists := func(name string) (bool, error) {
		_, err := os.Stat(filepath.Join(f.state, name))
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("cupsemu: %w", err)
		}
		return true, nil
	}
	var err error
	if st.Paper, err = exists("paper"); err != nil {
		return st, err
	}
	if st.TonerLow, err = exists("toner-low"); err != nil {
		return st, err
	}
	b, err := os.ReadFile(filepath.Join(f.state, "broken"))
	switch {
	case err == nil:
		st.Broken = string(b)
	case !errors.Is(err, fs.ErrNotExist):
		return st, fmt.Errorf("cupsemu: %w", err)
	}
	return st, nil
}

// newQueue names a queue and its device and writes the device's cups-pdf
// configuration.
func (s *Server) newQueue(opts QueueOptions) (*Queue, error) {
	var b [4]byte
	rand.Read(b[:])
	q := &Queue{Name: opts.Name, s: s, device: "guichet-" + hex.EncodeToString(b[:]), out: opts.Out}
	if q.Name == "" {
		q.Name = q.device
	}
	if !queueName.MatchString(q.Name) {
		return nil, fmt.Errorf("cupsemu: queue name %q: use 1 to 127 letters, digits, '-', '_' or '.'", q.Name)
	}
	if q.out == "" {
		q.out = filepath.Join(s.dir, "out", q.device)
	}
	var err error
	if q.out, err = filepath.Abs(q.out); err != nil {
		return nil, fmt.Errorf("cupsemu: %w", err)
	}
	// cups-pdf runs Ghostscript as the job's user, "nobody" for a user the
	// system does not know (the kiosk prints as "guichet"): the output
	// directory is writable by all, sticky, like cups-pdf's ANONYMOUS.
	if err := os.MkdirAll(q.out, 0o755); err != nil {
		return nil, fmt.Errorf("cupsemu: PDF directory of queue %s: %w", q.Name, err)
	}
	if err := os.Chmod(q.out, 0o777|os.ModeSticky); err != nil {
		return nil, fmt.Errorf("cupsemu: PDF directory of queue %s: %w", q.Name, err)
	}
	if err := searchableByAll(q.out); err != nil {
		return nil, fmt.Errorf("cupsemu: PDF directory of queue %s: %w", q.Name, err)
	}
	conf := filepath.Join(cupsPDFConfs, "cups-pdf-"+q.device+".conf")
	s.mu.Lock()
	s.confs = append(s.confs, conf)
	s.mu.Unlock()
	if err := writeFile(conf, fmt.Sprintf("# written by guichet's cupsemu for the server in %s, removed when it stops\nOut %s\nAnonDirName %s\nSpool %s\nLog %s\nLogType 3\nGrp root\n",
		s.dir, q.out, q.out, filepath.Join(s.dir, "cups-pdf-spool"), filepath.Join(s.dir, "log"))); err != nil {
		return nil, err
	}
	return q, nil
}

// searchableByAll checks that user nobody, as whom cups-pdf writes, can
// reach dir.
func searchableByAll(dir string) error {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("cups-pdf writes as user nobody, who cannot reach it: %s is not searchable by others (chmod o+x %s)", d, d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// Out is the directory the queue's PDFs land in.
func (q *Queue) Out() string { return q.out }

// Disable stops the queue (cupsdisable), as a technician pausing it.
func (q *Queue) Disable(reason string) error {
	return q.s.admin("cupsdisable", "-r", reason, q.Name)
}

// Enable restarts it (cupsenable).
func (q *Queue) Enable() error { return q.s.admin("cupsenable", q.Name) }

// Reject makes it refuse new jobs (cupsreject).
func (q *Queue) Reject() error { return q.s.admin("cupsreject", q.Name) }

// Accept reopens it (cupsaccept).
func (q *Queue) Accept() error { return q.s.admin("cupsaccept", q.Name) }

// PDFs returns the PDF files in the queue's directory, oldest first. The
// newest may still be being written: WaitPDF waits for a whole one.
func (q *Queue) PDFs() ([]string, error) {
	files, err := filepath.Glob(filepath.Join(q.out, "*.pdf"))
	if err != nil {
		return nil, fmt.Errorf("cupsemu: %w", err)
	}
	mtime := make(map[string]time.Time, len(files))
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			mtime[f] = st.ModTime()
		}
	}
	sort.SliceStable(files, func(i, j int) bool { return mtime[files[i]].Before(mtime[files[j]]) })
	return files, nil
}

// WaitPDF waits until the queue's directory holds n whole PDFs and returns
// the content of the n-th, or fails when ctx ends.
func (q *Queue) WaitPDF(ctx context.Context, n int) ([]byte, error) {
	for {
		files, err := q.PDFs()
		if err != nil {
			return nil, err
		}
		if len(files) >= n {
			// cups-pdf writes the file, then closes it; a PDF ends with
			// %%EOF.
			b, err := os.ReadFile(files[n-1])
			if err == nil && bytes.Contains(b[max(0, len(b)-64):], []byte("%%EOF")) {
				return b, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("cupsemu: queue %s: no PDF number %d in %s (%v; have %q)", q.Name, n, q.out, ctx.Err(), files)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// admin runs a CUPS administration tool against the server.
func (s *Server) admin(tool string, args ...string) error {
	cmd := exec.Command(tool, args...)
	cmd.Env = append(os.Environ(), "CUPS_SERVER="+s.Addr())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("cupsemu: %s %s: %w: %s", tool, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cupsemu: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return fmt.Errorf("cupsemu: %w", err)
	}
	return nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
