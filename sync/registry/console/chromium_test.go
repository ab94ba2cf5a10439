package console_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"flag"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"guichet/sync/registry/console"
	"guichet/sync/wire"
)

var screenshots = flag.Bool("screenshots", false, "write the console screenshots to docs/console")

// chromium returns the path of Debian's chromium, or "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is a headless Chromium tab on the console.
type browser struct {
	t   *testing.T
	ctx context.Context
	url string
}

// step runs actions with a bound on their time.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// submit clicks and waits for the page it loads; it returns its status.
func (b *browser) submit(what string, steps ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return resp.Status
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *browser) open(path string) int64 {
	b.t.Helper()
	return b.submit("open "+path, chromedp.Navigate(b.url+path))
}

func (b *browser) login(name, pw string) int64 {
	b.t.Helper()
	b.open("/login")
	return b.submit("sign in as "+name,
		chromedp.SendKeys(chromedp.ID("name"), name), chromedp.SendKeys(chromedp.ID("password"), pw), chromedp.Click(chromedp.ID("sign-in")))
}

func (b *browser) logout() {
	b.t.Helper()
	b.submit("sign out", chromedp.Click(chromedp.CSS("button.link")))
}

// screenshot takes the whole page, checks it is a real image, and writes
// it to docs/console with -screenshots.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width < 800 || cfg.Height < 300 {
		b.t.Fatalf("screenshot %s: %dx%d, %v", name, cfg.Width, cfg.Height, err)
	}
	if *screenshots {
		dir := filepath.Join("..", "..", "..", "docs", "console")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), img, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
}

// TestChromium drives the console in a real headless Chromium over HTTPS
// (the registry's certificate, pinned by its public key): an operator sees
// a kiosk go offline; a clerk processes a bulletin n°3 request, issues the
// extract, the prosecutor endorses it, the clerk marks it ready and the
// public page says it is valid; a POST without the CSRF token is refused;
// the sixth bad password is throttled.
func TestChromium(t *testing.T) {
	exe := chromium()
	if exe == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (apt-get install -y chromium; images/host-packages.txt lists it)")
		}
		t.Skip("chromium is not installed: apt-get install -y chromium")
	}
	start := time.Now()
	e := newEnv(t, envOptions{cfg: func(c *console.Config) { c.PlainHTTP = false }})
	if !strings.HasPrefix(e.url, "https://") {
		t.Fatalf("console URL %s, want HTTPS", e.url)
	}
	leaf, err := x509.ParseCertificate(e.con.TLSConfig().Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)

	for _, id := range []string{"ma-casa-01", "ma-casa-02", "ma-rabat-01"} {
		e.telemetry(id, wire.PaperOK, wire.HealthOK, 0, 0)
	}
	id, trk := e.submit("ma-casa-01", "bulletin3", citizen("EL AMRANI", "Fatima Zahra"))
	e.submit("ma-casa-02", "civil_status", `{"service":"civil_status","fields":{"surname":"BENNANI"}}`)
	e.submit("ma-casa-02", "bulletin3", citizen("TAZI", "Omar"))

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("password-store", "basic"), chromedp.Flag("lang", "fr-FR"),
		// Trust exactly the registry's server key, as an operator who
		// imported the registry CA would.
		chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // starts the browser, without a deadline
		t.Fatalf("start chromium: %v", err)
	}
	b := &browser{t: t, ctx: ctx, url: e.url}

	// Operations: the fleet, then a kiosk falls silent.
	if status := b.login(operator, password); status != http.StatusOK {
		t.Fatalf("operator sign-in = %d", status)
	}
	if got := b.text("#offline-count"); got != "0 hors ligne" {
		t.Errorf("offline count = %q, want 0", got)
	}
	e.clock.Add(20 * time.Minute)
	e.telemetry("ma-casa-01", wire.PaperOK, wire.HealthOK, 0, 0)
	e.telemetry("ma-rabat-01", wire.PaperLow, wire.HealthOK, 1, 4*time.Minute)
	b.open("/fleet")
	if got := b.text("#kiosk-ma-casa-02 .status"); !strings.Contains(got, "hors ligne") {
		t.Errorf("ma-casa-02 status = %q, want hors ligne", got)
	}
	if got := b.text("#offline-count"); got != "1 hors ligne" {
		t.Errorf("offline count = %q, want 1", got)
	}
	b.screenshot("fleet.png")
	b.open("/alerts")
	if got := b.text("#alerts"); !strings.Contains(got, "Hors ligne depuis 20 min") || !strings.Contains(got, "Papier bas") {
		t.Errorf("alerts = %q", got)
	}
	b.logout()

	// The clerk opens the request and puts it in processing.
	if status := b.login(clerk, password); status != http.StatusOK {
		t.Fatalf("clerk sign-in = %d", status)
	}
	b.submit("open the request", chromedp.Click(chromedp.CSS(`#requests a[href$="`+id+`"]`)))
	if got := b.text("#personal"); !strings.Contains(got, "Fatima Zahra") {
		t.Errorf("personal data = %q", got)
	}
	b.submit("in processing", chromedp.Click(chromedp.ID("to-in_processing")))
	if got := b.text("#state"); got != "En traitement" {
		t.Errorf("state = %q, want En traitement", got)
	}

	// A POST without the session's CSRF token: the page's own reject form
	// with its token removed, as a forged form would come. (A fetch() from
	// the page is stopped earlier still, by the Content-Security-Policy.)
	if status := b.submit("POST without CSRF token", chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.querySelector("form.reject");
		f.querySelector("input[name=csrf]").remove();
		f.querySelector("#reason").value = "forged";
		f.submit();
	})()`)); status != http.StatusForbidden {
		t.Errorf("POST without CSRF token = %d, want 403", status)
	}
	if got := b.text("#error"); !strings.Contains(got, "CSRF") {
		t.Errorf("CSRF refusal message = %q", got)
	}
	if r, _ := e.reg.Store().Request(context.Background(), "ma-casa-01", id); r.State != "in_processing" {
		t.Errorf("state after the forged POST = %s", r.State)
	}
	b.open("/requests/ma-casa-01/" + id)

	// Issue the extract: the form is prefilled from the request.
	b.do("fill the issue form", chromedp.SendKeys(chromedp.ID("issue-password"), password))
	b.submit("issue", chromedp.Click(chromedp.ID("issue")))
	if got := b.text("#endorsement"); !strings.Contains(got, "en attente du visa de "+prosecutor) {
		t.Fatalf("after issue: %q", got)
	}
	b.logout()

	// The prosecutor endorses it.
	if status := b.login(prosecutor, password); status != http.StatusOK {
		t.Fatalf("prosecutor sign-in = %d", status)
	}
	b.submit("open the pending extract", chromedp.Click(chromedp.CSS("#pending a")))
	b.do("confirm", chromedp.SendKeys(chromedp.ID("endorse-password"), password))
	b.submit("endorse", chromedp.Click(chromedp.ID("endorse")))
	if got := b.text("#endorsement"); !strings.Contains(got, "visé le") {
		t.Fatalf("after endorsement: %q", got)
	}
	b.logout()

	// The clerk marks it ready.
	b.login(clerk, password)
	b.open("/requests/ma-casa-01/" + id)
	b.submit("ready", chromedp.Click(chromedp.ID("to-ready")))
	if got := b.text("#state"); got != "Prête" {
		t.Errorf("state = %q, want Prête", got)
	}
	if r, _ := e.reg.Store().Request(context.Background(), "ma-casa-01", id); r.State != "ready" {
		t.Errorf("stored state = %s, want ready", r.State)
	}
	b.screenshot("request.png")

	// Anyone scanning the QR code: valid.
	b.logout()
	x, _ := e.reg.Store().ExtractOf(context.Background(), "ma-casa-01", id)
	if status := b.open("/v/" + string(trk) + "." + x.Fragment); status != http.StatusOK {
		t.Errorf("verification page = %d", status)
	}
	if got := b.text("#verdict"); got != "Extrait valide" {
		t.Errorf("verdict = %q, want Extrait valide", got)
	}
	if got := b.text("#initials"); got != "F. Z. E. A." {
		t.Errorf("initials = %q", got)
	}
	b.screenshot("verify.png")

	// Five bad passwords, then the sixth is throttled.
	for i := 1; i <= 5; i++ {
		if status := b.login(clerk, "wrong password "+string(rune('0'+i))); status != http.StatusUnauthorized {
			t.Errorf("bad password %d = %d, want 401", i, status)
		}
	}
	if status := b.login(clerk, "wrong password 6"); status != http.StatusTooManyRequests {
		t.Errorf("sixth bad password = %d, want 429", status)
	}
	if got := b.text("#error"); !strings.Contains(got, "Trop d'échecs") {
		t.Errorf("throttle message = %q", got)
	}
	b.screenshot("login-throttled.png")
	elapsed := time.Since(start)
	t.Logf("headless Chromium walk-through: %v", elapsed.Round(time.Millisecond))
}
