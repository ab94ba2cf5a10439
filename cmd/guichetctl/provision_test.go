package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"guichet/drivers/devsim"
	"guichet/kiosk/request"
	"guichet/kiosk/site"
	"guichet/kiosk/store"
	"guichet/sync/client"
	"guichet/sync/registry"
	"guichet/sync/registry/boltstore"
	rstore "guichet/sync/registry/store"
	"guichet/sync/trustfile"
	"guichet/sync/wire"
)

const (
	testOperator = "ops.amina"
	testCourt    = "tpi-casablanca"
)

// testRegistry is a real registry served over TLS on loopback.
type testRegistry struct {
	srv   *registry.Server
	st    rstore.Store
	url   string
	trust string // the trust file of its document keys
	close func()
}

func newTestRegistry(t *testing.T) *testRegistry {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(dir, registry.FileBoltDB))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := registry.Init(ctx, dir, registry.InitOptions{Operator: testOperator, Password: "correct horse battery", Store: st, Now: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatalf("registry.Init() = %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + ln.Addr().String()
	srv, err := registry.New(registry.Config{Dir: dir, Store: st, Addr: ln.Addr().String(), PublicURL: url, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("registry.New() = %v", err)
	}
	hs := srv.HTTPServer()
	go hs.ServeTLS(ln, "", "")
	var once sync.Once
	stop := func() { once.Do(func() { hs.Close() }) }
	t.Cleanup(stop)
	b, err := trustfile.Marshal(srv.DocumentKeys())
	if err != nil {
		t.Fatal(err)
	}
	trust := filepath.Join(t.TempDir(), "registry-keys.json")
	if err := os.WriteFile(trust, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return &testRegistry{srv: srv, st: st, url: url, trust: trust, close: stop}
}

func (r *testRegistry) ticket(t *testing.T, court, kiosk string, valid time.Duration) string {
	t.Helper()
	tk, err := r.srv.IssueTicket(context.Background(), testOperator, registry.TicketSpec{Court: court, CountryPack: "ma", PackVersion: 1, KioskID: kiosk, ValidFor: valid})
	if err != nil {
		t.Fatal(err)
	}
	return tk.Text
}

// audit lists the registry's audit actions about kiosk.
func (r *testRegistry) audit(t *testing.T, kiosk string) []string {
	t.Helper()
	entries, err := r.st.Audit(context.Background(), 200)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range entries {
		if a.Subject == kiosk && strings.HasPrefix(a.Action, "kiosk.") {
			out = append(out, a.Action)
		}
	}
	sort.Strings(out)
	return out
}

// bench is guichet-devsim's emulated peripherals, in this process, with
// the GPIO socket provision serves.
type bench struct {
	d       *devsim.Devices
	devices string // devices.env
	gpio    string // the gpio-sim socket
}

func newBench(t *testing.T) *bench {
	t.Helper()
	// Unix socket paths are short: not under t.TempDir()'s long name.
	sockDir, err := os.MkdirTemp("", "gctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	dir := t.TempDir()
	sock := filepath.Join(sockDir, "gpio.sock")
	d, err := devsim.Start(devsim.Config{Dir: dir, GPIOSim: sock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	paths, err := d.Exec(context.Background(), "paths")
	if err != nil {
		t.Fatal(err)
	}
	env := filepath.Join(dir, "devices.env")
	if err := os.WriteFile(env, []byte(paths+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return &bench{d: d, devices: env, gpio: sock}
}

// technician reads provision's output as it comes and does what each
// prompt asks on the emulated devices, one prompt at a time.
type technician struct {
	t      *testing.T
	b      *bench
	ticket string

	mu     sync.Mutex
	out    bytes.Buffer
	buf    []byte
	lines  chan string
	done   chan struct{}
	errors []string
}

func newTechnician(t *testing.T, b *bench, ticket string) *technician {
	tc := &technician{t: t, b: b, ticket: ticket, lines: make(chan string, 256), done: make(chan struct{})}
	go tc.work()
	return tc
}

func (tc *technician) Write(p []byte) (int, error) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.out.Write(p)
	tc.buf = append(tc.buf, p...)
	for {
		i := bytes.IndexByte(tc.buf, '\n')
		if i < 0 {
			break
		}
		tc.lines <- string(tc.buf[:i])
		tc.buf = tc.buf[i+1:]
	}
	return len(p), nil
}

func (tc *technician) output() string {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.out.String()
}

func (tc *technician) stop() []string {
	close(tc.lines)
	<-tc.done
	return tc.errors
}

func (tc *technician) do(cmd string) string {
	out, err := tc.b.d.Exec(context.Background(), cmd)
	if err != nil {
		tc.errors = append(tc.errors, fmt.Sprintf("%s: %v", cmd, err))
	}
	return out
}

func (tc *technician) work() {
	defer close(tc.done)
	for line := range tc.lines {
		switch {
		case strings.Contains(line, "show the enrolment ticket's QR code"):
			tc.do("qr scan " + tc.ticket)
		case strings.Contains(line, "lay the test card"):
			tc.do("card insert cnie")
		case strings.Contains(line, "→ scan"):
			code := tc.ticket
			if rs := tc.b.d.Printer.Receipts(); len(rs) > 0 && len(rs[len(rs)-1].QRCodes) > 0 {
				code = rs[len(rs)-1].QRCodes[0]
			}
			if code == "" {
				code = "TEST-CODE-0001"
			}
			tc.do("qr scan " + code)
		case strings.Contains(line, "light on, and only it?"):
			led := strings.Fields(strings.SplitN(line, "is the ", 2)[1])[0]
			leds := tc.do("gpio leds")
			for _, l := range []string{"ready", "busy", "fault"} {
				want := "led-" + l + "=off"
				if l == led {
					want = "led-" + l + "=on"
				}
				if !strings.Contains(leds, want) {
					tc.errors = append(tc.errors, fmt.Sprintf("asked to confirm the %s light, the board shows %q", led, leds))
				}
			}
			tc.do("gpio press servicekey")
			time.Sleep(150 * time.Millisecond) // longer than the debounce
			// After the last light, provision may be done and its socket
			// gone before the key is let go.
			tc.b.d.Exec(context.Background(), "gpio release servicekey")
			time.Sleep(150 * time.Millisecond)
		}
	}
}

// provision runs guichetctl provision with a technician at the bench.
func provision(t *testing.T, b *bench, ticket string, args ...string) (int, string) {
	t.Helper()
	tc := newTechnician(t, b, ticket)
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := run(ctx, &cli{stdin: strings.NewReader(""), stdout: tc, stderr: &stderr}, append([]string{"provision"}, args...))
	for _, e := range tc.stop() {
		t.Error(e)
	}
	out := tc.output() + stderr.String()
	t.Logf("guichetctl provision %s → %d\n%s", strings.Join(args, " "), code, out)
	return code, out
}

func benchArgs(data, trust string, b *bench) []string {
	return []string{"-data", data, "-trust", trust, "-devices", b.devices, "-gpio-sim", b.gpio, "-technician", "Rachid", "-timeout", "10s"}
}

func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q", w)
		}
	}
}

func TestProvision(t *testing.T) {
	reg := newTestRegistry(t)
	b := newBench(t)
	data := t.TempDir()
	ticket := reg.ticket(t, testCourt, "ma-casa-20", 0)

	// First run: the ticket read with the kiosk's QR reader.
	code, out := provision(t, b, ticket, append(benchArgs(data, reg.trust, b), "-scan")...)
	if code != 0 {
		t.Fatalf("first provision exited %d, want 0", code)
	}
	wantLines(t, out,
		"✓ enrol: enrolled as ma-casa-20",
		"✓ pack: pack ma",
		"✓ idscan: read a valid TD1 document",
		"✓ receipt: test page printed; paper present, cover closed",
		"✓ qrscan: read ",
		"✓ gpio: read every input: presence=inactive, servicekey=inactive, paperlow=inactive, help=inactive",
		"✓ leds: lit ready, busy, fault in turn, each confirmed with the service key",
		"✓ report: printed",
		"✓ upload: the registry at "+reg.url,
		"provisioning passed: 9 of 9 steps")
	s, err := site.Read(data)
	if err != nil {
		t.Fatalf("site.Read after provisioning = %v", err)
	}
	if s.CountryPack != "ma" || s.Court != testCourt || s.KioskID != "ma-casa-20" {
		t.Errorf("site.json = %+v", s)
	}
	if rs := b.d.Printer.Receipts(); len(rs) != 2 {
		t.Errorf("%d pieces of paper came out, want 2 (the test page and the report)", len(rs))
	} else {
		if page := strings.Join(rs[0].Lines, "\n"); !strings.Contains(page, "GUICHET TEST ma-casa-20") {
			t.Errorf("the first piece of paper is not this kiosk's test page:\n%s", page)
		}
		if report := strings.Join(rs[1].Lines, "\n"); !strings.Contains(report, "PROVISIONING: 7/7 steps passed") || !strings.Contains(report, "Rachid") {
			t.Errorf("the second piece of paper is not the provisioning report:\n%s", report)
		}
	}
	if got := reg.audit(t, "ma-casa-20"); !strings.Contains(strings.Join(got, ","), "kiosk.provisioned") {
		t.Errorf("registry audit for the kiosk = %v, want kiosk.provisioned", got)
	}

	// Second run: already enrolled, nothing sent for enrolment, passes.
	code, out = provision(t, b, ticket, benchArgs(data, reg.trust, b)...)
	if code != 0 {
		t.Fatalf("second provision exited %d, want 0", code)
	}
	wantLines(t, out, "✓ enrol: already enrolled as ma-casa-20", "provisioning passed: 9 of 9 steps")

	// A ticket for another court is refused unless -reenrol.
	other := reg.ticket(t, "tpi-rabat", "", 0)
	code, out = provision(t, b, other, append(benchArgs(data, reg.trust, b), "-ticket", other)...)
	if code != 1 {
		t.Errorf("provision with another court's ticket exited %d, want 1", code)
	}
	wantLines(t, out, "✗ enrol: the ticket is for court tpi-rabat but the kiosk is enrolled as ma-casa-20 for court tpi-casablanca", "-reenrol")

	// The printer out of paper: that step fails with the fix; the report
	// cannot be printed; the others pass.
	if _, err := b.d.Exec(context.Background(), "printer paper-out"); err != nil {
		t.Fatal(err)
	}
	code, out = provision(t, b, ticket, append(benchArgs(data, reg.trust, b), "-yes")...)
	if code != 1 {
		t.Errorf("provision with the printer out of paper exited %d, want 1", code)
	}
	wantLines(t, out,
		"✗ receipt: the receipt printer is out of paper: load a roll of thermal paper",
		"✓ idscan:", "✓ qrscan:", "each line read back (-yes)",
		"✗ report: not printed: the receipt printer failed its step",
		"provisioning FAILED: 2 of 9 steps (receipt, report)")
}

func TestProvisionRefusesTickets(t *testing.T) {
	reg := newTestRegistry(t)
	ctx := context.Background()
	short := reg.ticket(t, testCourt, "ma-casa-31", time.Second)
	forged := func() string {
		// Another court written into a genuine ticket's body.
		text := reg.ticket(t, testCourt, "ma-casa-32", 0)
		st, err := wire.ParseTicket(text)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(strings.TrimPrefix(text, wire.TicketPrefix), ".")
		body := strings.Replace(string(mustDecode(t, parts[0])), `"`+st.Court+`"`, `"tpi-rabat"`, 1)
		return wire.TicketPrefix + encode(body) + "." + parts[1]
	}()
	foreign := newTestRegistry(t).ticket(t, testCourt, "ma-casa-33", 0)
	time.Sleep(1100 * time.Millisecond) // the short ticket expires

	for _, tt := range []struct {
		name, ticket, want string
	}{
		{"expired", short, "✗ enrol: the enrolment ticket was refused: expired at"},
		{"forged", forged, "✗ enrol: the enrolment ticket was refused: the signature does not verify: the ticket was altered or forged"},
		{"another registry's", foreign, "which this kiosk does not trust"},
		{"not a ticket", "TOK-7Q4K-9XMP-2WRT", "✗ enrol: this is not an enrolment ticket"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			gone := t.TempDir() // the devices are not plugged in
			var out, stderr bytes.Buffer
			code := run(ctx, &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &stderr},
				[]string{"provision", "-data", data, "-trust", reg.trust, "-ticket", tt.ticket, "-timeout", "5s",
					"-idscan", filepath.Join(gone, "idscan"), "-qrscan", filepath.Join(gone, "qrscan"), "-receipt", filepath.Join(gone, "receipt")})
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			wantLines(t, out.String(), tt.want,
				"✗ pack: not checked: the kiosk is not enrolled",
				"✗ idscan: not found at "+filepath.Join(gone, "idscan")+": is the ID-card scanner plugged in?",
				"✗ receipt: not found at "+filepath.Join(gone, "receipt")+": is the receipt printer plugged in?",
				"✗ gpio: no GPIO header configured: give its wiring with -gpio",
				"✗ upload: not sent: the kiosk is not enrolled")
			if _, err := client.LoadIdentity(data); !errors.Is(err, client.ErrNotEnrolled) {
				t.Errorf("after a refused ticket LoadIdentity = %v, want ErrNotEnrolled", err)
			}
			if t.Failed() {
				t.Log(out.String())
			}
		})
	}
}

func TestDecommission(t *testing.T) {
	reg := newTestRegistry(t)
	ctx := context.Background()
	data := t.TempDir()
	if _, err := client.EnrolWithTicket(ctx, client.EnrolOptions{Dir: data, KioskID: "ma-casa-40", SoftwareVersion: "test"}, reg.ticket(t, testCourt, "ma-casa-40", 0), reg.srv.DocumentKeys()); err != nil {
		t.Fatal(err)
	}
	id, err := client.LoadIdentity(data)
	if err != nil {
		t.Fatal(err)
	}
	// A queued request, and a print queue file.
	st, err := store.Open(filepath.Join(data, "kiosk.db"), store.Options{RegistryKey: id.RegistryKey, KioskID: id.KioskID})
	if err != nil {
		t.Fatal(err)
	}
	rid, _ := request.NewID(nil)
	if _, err := st.Submit(ctx, request.Request{ID: rid, Service: "bulletin3", Court: testCourt, Fee: 2000, Currency: "MAD", PackVersion: 1},
		[]byte(`{"cin":"BK123456","father":"Ahmed","mother":"Fatima"}`)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	os.WriteFile(filepath.Join(data, "printq.db"), bytes.Repeat([]byte("receipt "), 512), 0o600)
	// A copy of the identity, to knock on the registry's door afterwards.
	saved := t.TempDir()
	for _, f := range []string{client.FileIdentity, client.FileRegistryCA, client.FileEnrolment, client.FileRegistryKey, client.FileKioskID} {
		b, err := os.ReadFile(filepath.Join(data, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(saved, f), b, 0o600)
	}

	decommission := func(args ...string) (int, string) {
		var out, stderr bytes.Buffer
		code := run(ctx, &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &stderr}, append([]string{"decommission", "-data", data}, args...))
		t.Logf("guichetctl decommission %s → %d\n%s%s", strings.Join(args, " "), code, out.String(), stderr.String())
		return code, out.String() + stderr.String()
	}
	if code, _ := decommission(); code != 2 {
		t.Errorf("decommission without -reason exited %d, want 2", code)
	}
	code, out := decommission("-reason", "the court moved")
	if code != 1 {
		t.Errorf("decommission with a queued request exited %d, want 1", code)
	}
	wantLines(t, out, "1 request is still queued", "-force")
	if _, err := os.Stat(filepath.Join(data, client.FileIdentity)); err != nil {
		t.Fatalf("a refused decommissioning touched the key: %v", err)
	}
	if got := reg.audit(t, "ma-casa-40"); strings.Contains(strings.Join(got, ","), "kiosk.decommissioned") {
		t.Errorf("a refused decommissioning reached the registry: %v", got)
	}

	code, out = decommission("-reason", "the court moved", "-force")
	if code != 0 {
		t.Fatalf("forced decommission exited %d, want 0", code)
	}
	wantLines(t, out,
		"! 1 queued request will be erased unsent (-force)",
		"✓ the registry at "+reg.url+" was told and revoked kiosk ma-casa-40",
		"✓ erased kiosk-identity.pem (the kiosk's private key and certificate)",
		"✓ erased kiosk.db", "✓ erased printq.db (the print queue: receipts", "✓ erased enrolment.json", "✓ erased registry.pub")
	for _, f := range []string{client.FileIdentity, "enrol-pending.key", "kiosk.db", "printq.db", client.FileEnrolment, client.FileRegistryCA, client.FileRegistryKey, client.FileKioskID} {
		if _, err := os.Stat(filepath.Join(data, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after decommissioning: %v, want it gone", f, err)
		}
	}
	if got := reg.audit(t, "ma-casa-40"); !strings.Contains(strings.Join(got, ","), "kiosk.decommissioned") {
		t.Errorf("registry audit = %v, want kiosk.decommissioned", got)
	}
	// The registry refuses the kiosk's certificate from now on.
	sst := openSaved(t, saved, id)
	c, err := client.New(client.Config{Dir: saved, Store: sst})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ReportProvisioning(ctx, "x", []wire.ReportStep{{Name: "enrol", OK: true}}); !errors.Is(err, client.ErrRefused) {
		t.Errorf("the decommissioned kiosk's report = %v, want ErrRefused", err)
	}
}

func TestDecommissionRegistryUnreachable(t *testing.T) {
	reg := newTestRegistry(t)
	ctx := context.Background()
	data := t.TempDir()
	if _, err := client.EnrolWithTicket(ctx, client.EnrolOptions{Dir: data, KioskID: "ma-casa-41", SoftwareVersion: "test"}, reg.ticket(t, testCourt, "ma-casa-41", 0), reg.srv.DocumentKeys()); err != nil {
		t.Fatal(err)
	}
	reg.close()
	var out, stderr bytes.Buffer
	code := run(ctx, &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &stderr}, []string{"decommission", "-data", data, "-reason", "stolen"})
	if code != 1 {
		t.Errorf("decommission with the registry down exited %d, want 1", code)
	}
	wantLines(t, stderr.String(), "could not be told", "operations must then revoke kiosk ma-casa-41")
	if _, err := os.Stat(filepath.Join(data, client.FileIdentity)); err != nil {
		t.Fatalf("refused, yet the key is gone: %v", err)
	}
	out.Reset()
	code = run(ctx, &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &stderr}, []string{"decommission", "-data", data, "-reason", "stolen", "-force"})
	if code != 0 {
		t.Errorf("forced decommission with the registry down exited %d, want 0\n%s%s", code, out.String(), stderr.String())
	}
	wantLines(t, out.String(), "was NOT told", "operations must revoke kiosk ma-casa-41", "✓ erased kiosk-identity.pem")
	if _, err := os.Stat(filepath.Join(data, client.FileIdentity)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the key after a forced decommissioning: %v", err)
	}
}

func openSaved(t *testing.T, dir string, id *client.Identity) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "kiosk.db"), store.Options{RegistryKey: id.RegistryKey, KioskID: id.KioskID})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encode(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestProvisionEnrolment: a used ticket, a move to another court with
// -reenrol, and a device that is configured but not there.
func TestProvisionEnrolment(t *testing.T) {
	reg := newTestRegistry(t)
	ctx := context.Background()
	prov := func(args ...string) (int, string) {
		var out, stderr bytes.Buffer
		code := run(ctx, &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &stderr}, append([]string{"provision", "-trust", reg.trust, "-timeout", "5s"}, args...))
		t.Logf("guichetctl provision %s → %d\n%s%s", strings.Join(args, " "), code, out.String(), stderr.String())
		return code, out.String() + stderr.String()
	}
	data := t.TempDir()
	ticket := reg.ticket(t, testCourt, "", 0)
	_, out := prov("-data", data, "-ticket", ticket)
	wantLines(t, out, "✗ enrol: the ticket names no kiosk and this kiosk has no id yet: run again with -kiosk-id ID")
	_, out = prov("-data", data, "-ticket", ticket, "-kiosk-id", "ma-casa-50", "-idscan", filepath.Join(t.TempDir(), "idscan"))
	wantLines(t, out, "✓ enrol: enrolled as ma-casa-50", "✓ pack: pack ma v1, court tpi-casablanca",
		"✗ idscan: not found at ", "is the ID-card scanner plugged in?",
		"✗ receipt: not found at /dev/guichet/receipt: is the receipt printer plugged in?",
		"✓ upload: the registry at")

	// A ticket for another kiosk.
	_, out = prov("-data", data, "-ticket", reg.ticket(t, testCourt, "ma-casa-99", 0), "-reenrol")
	wantLines(t, out, "✗ enrol: the ticket is for kiosk ma-casa-99 but this kiosk is ma-casa-50: ask operations for a ticket for ma-casa-50")

	// The same ticket on another kiosk: used.
	_, out = prov("-data", t.TempDir(), "-ticket", ticket, "-kiosk-id", "ma-casa-51")
	wantLines(t, out, "✗ enrol: the registry refused the ticket")

	// Moved to another court.
	rabat := reg.ticket(t, "tpi-rabat", "", 0)
	_, out = prov("-data", data, "-ticket", rabat, "-reenrol")
	wantLines(t, out, "moving the kiosk from court tpi-casablanca to court tpi-rabat", "✓ enrol: enrolled as ma-casa-50", "for court tpi-rabat", "✓ pack: pack ma v1, court tpi-rabat")
	if s, err := site.Read(data); err != nil || s.Court != "tpi-rabat" {
		t.Errorf("site after -reenrol = %+v, %v; want court tpi-rabat", s, err)
	}

	// A court the pack this software carries does not know.
	nowhere := reg.ticket(t, "tpi-atlantis", "ma-casa-52", 0)
	_, out = prov("-data", t.TempDir(), "-ticket", nowhere)
	wantLines(t, out, "✓ enrol: enrolled as ma-casa-52", `✗ pack: court "tpi-atlantis" is not in pack ma v1: ask operations to check the ticket's court`)
}

func TestProvisionRefusesWhileTheKioskRuns(t *testing.T) {
	data := t.TempDir()
	st, err := store.Open(filepath.Join(data, "kiosk.db"), store.Options{KioskID: "ma-casa-60"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out, stderr bytes.Buffer
	code := run(context.Background(), &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &stderr}, []string{"provision", "-data", data, "-trust", "/nonexistent"})
	if code != 1 || !strings.Contains(stderr.String(), "the kiosk is running") || !strings.Contains(stderr.String(), "systemctl stop guichet") {
		t.Errorf("provision beside a running kiosk = %d, %q", code, stderr.String())
	}
	if out.Len() != 0 {
		t.Errorf("provision beside a running kiosk ran steps:\n%s", out.String())
	}
	stderr.Reset()
	code = run(context.Background(), &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &stderr}, []string{"decommission", "-data", data, "-reason", "test", "-force"})
	if code != 1 || !strings.Contains(stderr.String(), "the kiosk is running") {
		t.Errorf("decommission -force beside a running kiosk = %d, %q", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(data, "kiosk.db")); err != nil {
		t.Errorf("decommission beside a running kiosk touched its store: %v", err)
	}
	st.Close()
	code = run(context.Background(), &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &stderr}, []string{"provision", "-data", data, "-trust", "/nonexistent", "-timeout", "1s"})
	if code != 1 || !strings.Contains(out.String(), "✗ enrol: trustfile: /nonexistent does not exist") {
		t.Errorf("provision after the kiosk stopped = %d:\n%s", code, out.String())
	}
}

func TestProvisionGPIOFlags(t *testing.T) {
	ctx := context.Background()
	var out, stderr bytes.Buffer
	code := run(ctx, &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &stderr}, []string{"provision", "-data", t.TempDir(), "-gpio", "door=GPIO4"})
	if code != 2 || !strings.Contains(stderr.String(), "unknown role") {
		t.Errorf("provision -gpio door=GPIO4 = %d, %q; want 2 and the roles", code, stderr.String())
	}
	stderr.Reset()
	code = run(ctx, &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &stderr}, []string{"provision", "-data", t.TempDir(), "-gpio", "help=GPIO6", "-gpio-sim", "/tmp/x.sock"})
	if code != 2 || !strings.Contains(stderr.String(), "give one") {
		t.Errorf("provision -gpio -gpio-sim = %d, %q; want 2", code, stderr.String())
	}
	// A line this machine does not have (the test host has no such
	// header): the step fails with what to check, not a crash.
	out.Reset()
	code = run(ctx, &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &stderr}, []string{"provision", "-data", t.TempDir(), "-trust", "/nonexistent", "-timeout", "1s",
		"-gpio", "presence=GUICHET_NO_SUCH_LINE_17,servicekey=GUICHET_NO_SUCH_LINE_27:low,ready=GUICHET_NO_SUCH_LINE_22"})
	if code != 1 {
		t.Errorf("provision with absent GPIO lines exited %d, want 1", code)
	}
	wantLines(t, out.String(), "✗ gpio: the GPIO lines could not be opened (", "check the line names in -gpio")
}

// TestProvisionGivesFilesToTheKiosk: run as root on a data directory the
// kiosk's user owns, provisioning leaves every file it wrote to that user.
func TestProvisionGivesFilesToTheKiosk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to write files as root and give them away")
	}
	reg := newTestRegistry(t)
	data := t.TempDir()
	const kioskUID, kioskGID = 4242, 4343
	if err := os.Chown(data, kioskUID, kioskGID); err != nil {
		t.Fatal(err)
	}
	var out, stderr bytes.Buffer
	run(context.Background(), &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &stderr},
		[]string{"provision", "-data", data, "-trust", reg.trust, "-ticket", reg.ticket(t, testCourt, "ma-casa-70", 0), "-timeout", "1s", "-receipt", filepath.Join(t.TempDir(), "none")})
	wantLines(t, out.String(), "✓ enrol: enrolled as ma-casa-70", "✓ upload:", "files written as root given to the data directory's owner")
	ents, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		fi, err := os.Lstat(filepath.Join(data, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, e.Name())
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != kioskUID || st.Gid != kioskGID {
			t.Errorf("%s is owned by %d:%d, want the kiosk's %d:%d", e.Name(), st.Uid, st.Gid, kioskUID, kioskGID)
		}
	}
	for _, want := range []string{client.FileIdentity, client.FileEnrolment, site.File, "kiosk.db"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("data directory holds %v, want %s among them", names, want)
		}
	}
}
