// Package cupstest runs a real CUPS scheduler for tests: cupsd started on a
// free loopback port with its own configuration, spool, cache, state and
// logs in a temporary directory, queues printing to PDF files through the
// cups-pdf backend, and a fault-playing backend (out of paper, failing,
// toner low) so that a driver's error paths meet a real CUPS.
//
// # cups-pdf's configuration
//
// Debian's cups-pdf backend (3.0.1) reads its configuration from a path
// compiled in: /etc/cups/cups-pdf-<name>.conf for a queue whose device URI
// is cups-pdf:/<name>, else /etc/cups/cups-pdf.conf. A queue added here gets
// its own /etc/cups/cups-pdf-guichet-<random>.conf naming output, spool and
// log directories inside the test's directory; the file is removed when the
// test ends, and the system's cups-pdf.conf is never touched.
//
// # Requirements
//
// Debian packages cups, cups-pdf and cups-ipp-utils; root (cupsd runs its
// backends as root, cups-pdf needs it, and /etc/cups must be writable).
// Without them Start skips the test, or fails it when the CI environment
// variable is set.
package cupstest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Paths of the Debian packages.
const (
	cupsBin      = "/usr/lib/cups"
	cupsPDF      = "/usr/lib/cups/backend/cups-pdf"
	cupsPDFPPD   = "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd"
	cupsPDFConfs = "/etc/cups"
)

// Server is a running cupsd.
type Server struct {
	Host string
	Port int
	dir  string
	cmd  *exec.Cmd
	out  *syncBuffer
	t    testing.TB
}

func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CUPS test needs: "+format+" (CI is set)", args...)
	}
	t.Skipf("CUPS test skipped: "+format, args...)
}

// Start starts cupsd and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	for _, tool := range []string{"cupsd", "lpadmin", "cupsenable", "cupsdisable", "cupsaccept", "cupsreject"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, "%s (Debian package cups) is not installed", tool)
		}
	}
	for _, f := range []string{cupsPDF, cupsPDFPPD} {
		if _, err := os.Stat(f); err != nil {
			skipOrFail(t, "%s (Debian package cups-pdf) is missing", f)
		}
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "root (cups-pdf runs as root and its configuration lives in /etc/cups)")
	}
	// Not t.TempDir: the filters run as user lp and must reach the spool.
	dir, err := os.MkdirTemp("", "guichet-cups-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if os.Getenv("GUICHET_CUPSTEST_KEEP") != "" {
			t.Logf("cupstest: kept %s (GUICHET_CUPSTEST_KEEP is set)", dir)
			return
		}
		os.RemoveAll(dir)
	})
	for _, d := range []string{"", "spool", "spool/tmp", "cache", "state", "log", "bin", "bin/backend", "out", "fault", "cups-pdf-spool"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o755)
		if d == "cups-pdf-spool" {
			mode = 0o777 | os.ModeSticky
		}
		if err := os.Chmod(filepath.Join(dir, d), mode); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{Host: "127.0.0.1", Port: freePort(t), dir: dir, out: &syncBuffer{}, t: t}
	s.writeServerBin()
	conf := filepath.Join(dir, "cupsd.conf")
	files := filepath.Join(dir, "cups-files.conf")
	writeFile(t, conf, fmt.Sprintf(cupsdConf, s.Host, s.Port))
	writeFile(t, files, strings.ReplaceAll(cupsFilesConf, "{dir}", dir))

	s.cmd = exec.Command("cupsd", "-f", "-c", conf, "-s", files)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting cupsd: %v", err)
	}
	exited := make(chan struct{})
	go func() { s.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		// cupsd and the filters and backends it started.
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			s.dumpLogs()
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("cupsd exited at start:\n%s", s.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("cupsd does not listen on %s after 10 s:\n%s", s.Addr(), s.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

const cupsdConf = `# written by guichet's cupstest
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

const cupsFilesConf = `# written by guichet's cupstest
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
FileDevice No
`

// faultBackend plays a laser printer: its state is files in
// {dir}/fault/<queue>: without "paper" it reports media-empty-error and
// stops the queue (exit 4, CUPS_BACKEND_STOP: the job stays queued); with
// "broken" it fails the job with that file's text (exit 1); with
// "toner-low" it reports toner-low-report; otherwise it prints through
// cups-pdf.
const faultBackend = `#!/bin/sh
if [ $# -eq 0 ]; then
  echo 'direct guichetfault "Guichet" "Guichet test laser printer"'
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
func (s *Server) writeServerBin() {
	t := s.t
	entries, err := os.ReadDir(cupsBin)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "backend" {
			continue
		}
		if err := os.Symlink(filepath.Join(cupsBin, e.Name()), filepath.Join(s.dir, "bin", e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	backends, err := os.ReadDir(filepath.Join(cupsBin, "backend"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range backends {
		if err := os.Symlink(filepath.Join(cupsBin, "backend", e.Name()), filepath.Join(s.dir, "bin", "backend", e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	script := strings.NewReplacer("{dir}", s.dir, "{cupspdf}", cupsPDF).Replace(faultBackend)
	// Mode 0700: cupsd runs a backend only its owner can run as root,
	// which cups-pdf needs.
	path := filepath.Join(s.dir, "bin", "backend", "guichetfault")
	writeFile(t, path, script)
	if err := os.Chmod(path, 0o700); err != nil {
		t.Fatal(err)
	}
}

// Queue is a print queue of the server.
type Queue struct {
	Name string
	s    *Server
	out  string // where cups-pdf writes its PDFs
}

// cairo makes the queue turn PDF into PostScript with pdftocairo, as
// Debian sets up its own cups-pdf queue (README.Debian, bug #928738):
// Ghostscript's ps2write, the default, drops the text layer of CID fonts,
// and the PDF that comes out of cups-pdf could no longer be read back.
const cairo = "pdftops-renderer-default=pdftocairo"

// AddPDFQueue adds a queue printing to PDF files through cups-pdf.
func (s *Server) AddPDFQueue(t testing.TB) *Queue {
	t.Helper()
	q := s.newQueue(t)
	s.lpadmin(t, "-p", q.Name, "-E", "-v", "cups-pdf:/"+q.Name, "-P", cupsPDFPPD, "-o", cairo)
	return q
}

// Fault is a queue whose printer plays faults.
type Fault struct {
	*Queue
	state string
}

// AddFaultQueue adds a queue on the fault backend, out of paper until
// SetPaper(true), that aborts a job its printer fails (error policy
// abort-job) and stops for anything else.
func (s *Server) AddFaultQueue(t testing.TB) *Fault {
	t.Helper()
	q := s.newQueue(t)
	f := &Fault{Queue: q, state: filepath.Join(s.dir, "fault", q.Name)}
	if err := os.MkdirAll(f.state, 0o755); err != nil {
		t.Fatal(err)
	}
	s.lpadmin(t, "-p", q.Name, "-E", "-v", "guichetfault:/"+q.Name, "-P", cupsPDFPPD, "-o", cairo, "-o", "printer-error-policy=abort-job")
	return f
}

func (f *Fault) flag(t testing.TB, name string, on bool, content string) {
	t.Helper()
	path := filepath.Join(f.state, name)
	if on {
		writeFile(t, path, content)
	} else if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// SetPaper loads paper (true) or takes it out.
func (f *Fault) SetPaper(t testing.TB, loaded bool) { f.flag(t, "paper", loaded, "") }

// SetTonerLow makes the printer report toner-low.
func (f *Fault) SetTonerLow(t testing.TB, low bool) { f.flag(t, "toner-low", low, "") }

// Break makes the printer fail every job with message ("" repairs it).
func (f *Fault) Break(t testing.TB, message string) { f.flag(t, "broken", message != "", message) }

// newQueue names a queue and writes its cups-pdf configuration.
func (s *Server) newQueue(t testing.TB) *Queue {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	q := &Queue{Name: "guichet-" + hex.EncodeToString(b[:]), s: s}
	q.out = filepath.Join(s.dir, "out", q.Name)
	// cups-pdf runs Ghostscript as the job's user, "nobody" for a user the
	// system does not know (the kiosk prints as "guichet"): the output
	// directory is writable by all, sticky, like cups-pdf's ANONYMOUS.
	if err := os.MkdirAll(q.out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(q.out, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(cupsPDFConfs, "cups-pdf-"+q.Name+".conf")
	t.Cleanup(func() { os.Remove(conf) })
	writeFile(t, conf, fmt.Sprintf("# written by guichet's cupstest, removed when the test ends\nOut %s\nAnonDirName %s\nSpool %s\nLog %s\nLogType 3\nGrp root\n",
		q.out, q.out, filepath.Join(s.dir, "cups-pdf-spool"), filepath.Join(s.dir, "log")))
	return q
}

// Disable stops the queue (cupsdisable), as a technician pausing it.
func (q *Queue) Disable(t testing.TB, reason string) {
	q.s.admin(t, "cupsdisable", "-r", reason, q.Name)
}

// Enable restarts it (cupsenable).
func (q *Queue) Enable(t testing.TB) { q.s.admin(t, "cupsenable", q.Name) }

// Reject makes it refuse new jobs (cupsreject).
func (q *Queue) Reject(t testing.TB) { q.s.admin(t, "cupsreject", q.Name) }

// Accept reopens it (cupsaccept).
func (q *Queue) Accept(t testing.TB) { q.s.admin(t, "cupsaccept", q.Name) }

// PDFs returns the PDF files cups-pdf has finished writing for the queue.
func (q *Queue) PDFs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(q.out, "*.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// WaitPDF waits for the n-th PDF of the queue and returns its content.
func (q *Queue) WaitPDF(t testing.TB, n int, timeout time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if files := q.PDFs(t); len(files) >= n {
			// cups-pdf writes the file, then closes it; a PDF ends with
			// %%EOF.
			b, err := os.ReadFile(files[n-1])
			if err == nil && bytes.Contains(b[max(0, len(b)-64):], []byte("%%EOF")) {
				return b
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %s: no PDF number %d after %v (have %q)", q.Name, n, timeout, q.PDFs(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Server) lpadmin(t testing.TB, args ...string) { s.admin(t, "lpadmin", args...) }

func (s *Server) admin(t testing.TB, tool string, args ...string) {
	t.Helper()
	cmd := exec.Command(tool, args...)
	cmd.Env = append(os.Environ(), "CUPS_SERVER="+s.Addr())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
}

func (s *Server) dumpLogs() {
	s.t.Logf("cupsd output:\n%s", s.out.String())
	for _, f := range []string{"error_log"} {
		b, _ := os.ReadFile(filepath.Join(s.dir, "log", f))
		if len(b) > 8000 {
			b = b[len(b)-8000:]
		}
		s.t.Logf("%s (end):\n%s", f, b)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
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
