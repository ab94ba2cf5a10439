package console_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/seal"
	"guichet/sync/registry/console"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

var (
	t0 = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)
	th = console.Thresholds{OfflineAfter: 15 * time.Minute, QueueAgeMax: 2 * time.Hour, CertWarning: 24 * time.Hour}
)

func kioskAt(id string, seen time.Time, tel *wire.Telemetry) store.Kiosk {
	return store.Kiosk{ID: id, Serial: "MA-000001", Court: "tpi-casablanca", SoftwareVersion: "1.4.2", LastSeen: seen, Telemetry: tel}
}

func tel(paper wire.PaperLevel, scanner wire.Health, queue int, oldest time.Duration, certEnd time.Time) *wire.Telemetry {
	return &wire.Telemetry{Paper: []wire.Paper{{Printer: "receipt_printer", Level: paper}, {Printer: "laser_printer", Level: wire.PaperOK}},
		Peripherals: []wire.Peripheral{{Name: "id_scanner", Health: scanner}, {Name: "qr_scanner", Health: wire.HealthOK}},
		QueueDepth:  queue, OldestEntryAge: wire.Duration(oldest), CertNotAfter: certEnd}
}

func TestAlerts(t *testing.T) {
	week := t0.Add(7 * 24 * time.Hour)
	for _, tt := range []struct {
		name   string
		kiosk  store.Kiosk
		stored []store.Alert
		want   []string // kind/severity
	}{
		{"healthy", kioskAt("k", t0.Add(-time.Minute), tel(wire.PaperOK, wire.HealthOK, 0, 0, week)), nil, nil},
		{"just within", kioskAt("k", t0.Add(-15*time.Minute), tel(wire.PaperOK, wire.HealthOK, 0, 0, week)), nil, nil},
		{"offline", kioskAt("k", t0.Add(-16*time.Minute), tel(wire.PaperOK, wire.HealthOK, 0, 0, week)), nil, []string{"offline/critical"}},
		{"never reported, online", kioskAt("k", t0, nil), nil, nil},
		{"paper out", kioskAt("k", t0, tel(wire.PaperOut, wire.HealthOK, 0, 0, week)), nil, []string{"paper_out/critical"}},
		{"paper low", kioskAt("k", t0, tel(wire.PaperLow, wire.HealthOK, 0, 0, week)), nil, []string{"paper_low/warning"}},
		{"scanner fault", kioskAt("k", t0, tel(wire.PaperOK, wire.HealthFault, 0, 0, week)), nil, []string{"scanner/critical"}},
		{"scanner degraded", kioskAt("k", t0, tel(wire.PaperOK, wire.HealthDegraded, 0, 0, week)), nil, []string{"scanner/warning"}},
		{"queue old", kioskAt("k", t0, tel(wire.PaperOK, wire.HealthOK, 3, 3*time.Hour, week)), nil, []string{"queue_old/warning"}},
		{"queue young", kioskAt("k", t0, tel(wire.PaperOK, wire.HealthOK, 3, time.Hour, week)), nil, nil},
		{"certificate ending", kioskAt("k", t0, tel(wire.PaperOK, wire.HealthOK, 0, 0, t0.Add(3*time.Hour))), nil, []string{"cert_expiring/warning"}},
		{"critical first", kioskAt("k", t0.Add(-time.Hour), tel(wire.PaperLow, wire.HealthOK, 0, 0, week)), nil, []string{"offline/critical", "paper_low/warning"}},
		{"revoked: none", func() store.Kiosk { k := kioskAt("k", t0.Add(-time.Hour), nil); k.RevokedAt = t0; return k }(), nil, nil},
		{"conflict", kioskAt("k", t0, nil), []store.Alert{{Kind: store.AlertConflict, KioskID: "k", At: t0, Detail: "request r"}}, []string{"conflict/critical"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, a := range console.Alerts(console.Fleet([]store.Kiosk{tt.kiosk}, t0, th), tt.stored, t0, th) {
				got = append(got, a.Kind+"/"+a.Severity)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Alerts() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFleetOffline: a kiosk that stops reporting shows offline on the
// fleet page and raises an alert; its paper-out raises another.
func TestFleetOffline(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.telemetry("ma-casa-01", wire.PaperOK, wire.HealthOK, 0, 0)
	e.telemetry("ma-casa-02", wire.PaperOut, wire.HealthOK, 2, 3*time.Hour)
	e.telemetry("ma-rabat-01", wire.PaperOK, wire.HealthOK, 0, 0)
	amina := e.signedIn(operator)
	_, body := amina.get("/fleet")
	if !strings.Contains(body, `id="offline-count">0 hors ligne`) {
		t.Errorf("fleet before: not all online\n%s", body)
	}
	e.clock.Add(20 * time.Minute)
	e.telemetry("ma-casa-01", wire.PaperOK, wire.HealthOK, 0, 0)
	e.telemetry("ma-rabat-01", wire.PaperOK, wire.HealthOK, 0, 0)
	_, body = amina.get("/fleet")
	row := regexp.MustCompile(`(?s)<tr id="kiosk-ma-casa-02" class="offline">.*?</tr>`).FindString(body)
	if !strings.Contains(row, "hors ligne") || !strings.Contains(row, "il y a 20 min") || !strings.Contains(row, "vide") {
		t.Errorf("ma-casa-02 row = %q, want offline 20 min ago, paper out", row)
	}
	if !strings.Contains(body, `id="offline-count">1 hors ligne`) || !strings.Contains(body, `id="online-count">2 en ligne`) {
		t.Errorf("fleet counts wrong")
	}
	_, body = amina.get("/alerts")
	for _, w := range []string{"Hors ligne depuis 20 min", "Plus de papier", "la plus ancienne depuis 3 h 00"} {
		if !strings.Contains(body, w) {
			t.Errorf("alerts lack %q", w)
		}
	}
	if !strings.Contains(body, `id="alert-count">3<`) {
		t.Errorf("the menu does not count 3 alerts")
	}
}

// TestConflictAlert: another body under a stored request id is an alert.
func TestConflictAlert(t *testing.T) {
	e := newEnv(t, envOptions{})
	id, trk := e.submit("ma-casa-01", "bulletin3", citizen("EL AMRANI", "Fatima Zahra"))
	sealed, _ := seal.Seal(e.reg.RegistryKey(), id, []byte(citizen("EL AMRANI", "Fatima")))
	first, _ := e.reg.Store().Request(context.Background(), "ma-casa-01", id)
	it := first.RequestItem
	it.Sealed = sealed
	it.BodyHash = it.ComputeBodyHash()
	e.post("ma-casa-01", wire.PathRequests, wire.RequestBatch{KioskID: "ma-casa-01", MessageID: "conflict-1", Items: []wire.RequestItem{it}})
	_, body := e.signedIn(viewer).get("/alerts")
	if !strings.Contains(body, "Conflit") || !strings.Contains(body, id) {
		t.Errorf("alerts lack the conflict on %s (%s)\n%s", id, trk, body)
	}
}

var tokenRE = regexp.MustCompile(`id="token">([0-9A-Z-]+)<`)
var qrRE = regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`)

func TestEnrolmentToken(t *testing.T) {
	e := newEnv(t, envOptions{})
	amina := e.signedIn(operator)
	amina.get("/tokens")
	if status, _ := amina.post("/tokens", url.Values{"court": {"tpi-nowhere"}, "hours": {"72"}}); status != http.StatusUnprocessableEntity {
		t.Errorf("token for an unknown court = %d, want 422", status)
	}
	if status, _ := amina.post("/tokens", url.Values{"court": {casa}, "hours": {"9999"}}); status != http.StatusUnprocessableEntity {
		t.Errorf("token valid 9999 h = %d, want 422", status)
	}
	status, body := amina.post("/tokens", url.Values{"court": {casa}, "hours": {"48"}, "kiosk_id": {"ma-casa-07"}})
	tm, qm := tokenRE.FindStringSubmatch(body), qrRE.FindStringSubmatch(body)
	if status != http.StatusCreated || tm == nil || qm == nil {
		t.Fatalf("issue token = %d\n%s", status, body)
	}
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(qm[1]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
		t.Fatalf("QR image: %v", err)
	}
	if zbar, err := exec.LookPath("zbarimg"); err == nil {
		f := filepath.Join(t.TempDir(), "token.png")
		os.WriteFile(f, raw, 0o600)
		out, err := exec.Command(zbar, "--raw", "-q", f).Output()
		if got := strings.TrimSpace(string(out)); err != nil || got != tm[1] {
			t.Errorf("zbarimg(token QR) = %q, %v, want %q", got, err, tm[1])
		}
	}
	tok, err := e.reg.Store().Token(context.Background(), wire.Hash(sha256Of(tm[1])))
	if err != nil || tok.Court != casa || tok.KioskID != "ma-casa-07" || tok.CountryPack != "ma" || tok.ExpiresAt.Sub(tok.IssuedAt) != 48*time.Hour {
		t.Errorf("stored token = %+v, %v", tok, err)
	}
	if !e.audited(operator, "token.issue", casa) {
		t.Errorf("token issue not audited")
	}
	if _, body := amina.get("/tokens"); strings.Contains(body, tm[1]) {
		t.Errorf("the token is shown again")
	}
}

func TestPublishSettings(t *testing.T) {
	e := newEnv(t, envOptions{})
	amina := e.signedIn(operator)
	amina.get("/settings")
	form := url.Values{"target": {"court:" + casa}, "version": {"7"}, "telemetry": {"120"}, "feed_wait": {"30"}, "batch": {"20"}, "pack_version": {"0"}, "message": {"Maintenance lundi 8 h"}}
	status, body := amina.post("/settings", form)
	if status != http.StatusOK || !strings.Contains(body, "Version 7 publiée vers 2 borne(s)") {
		t.Fatalf("publish = %d\n%s", status, body)
	}
	ctx := context.Background()
	for id, want := range map[string]int{"ma-casa-01": 1, "ma-casa-02": 1, "ma-rabat-01": 0} {
		chs, _, _ := e.reg.Store().Changes(ctx, id, 0, 100)
		n := 0
		for _, ch := range chs {
			if ch.Kind == wire.ChangeConfiguration && ch.Settings.Version == 7 && ch.Settings.TelemetryInterval.Std() == 2*time.Minute && ch.Settings.Message == "Maintenance lundi 8 h" {
				n++
			}
		}
		if n != want {
			t.Errorf("%s got %d configuration changes, want %d", id, n, want)
		}
	}
	form.Set("telemetry", "3")
	if status, _ := amina.post("/settings", form); status != http.StatusUnprocessableEntity {
		t.Errorf("telemetry every 3 s = %d, want 422", status)
	}
}

func TestAccounts(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	amina := e.signedIn(operator)
	amina.get("/accounts")
	for _, tt := range []struct {
		name string
		form url.Values
		want int
	}{
		{"prosecutor", url.Values{"name": {"parquet.karim"}, "role": {"prosecutor"}, "court": {rabat}, "name_latin": {"Karim Tazi"}, "password": {"parquet rabat 2026"}}, http.StatusCreated},
		{"clerk", url.Values{"name": {"greffe.hind"}, "role": {"clerk"}, "court": {rabat}, "name_latin": {"Hind Lahlou"}, "password": {"greffe rabat 2026!"}}, http.StatusCreated},
		{"viewer", url.Values{"name": {"viewer.leila"}, "role": {"viewer"}, "password": {"observatrice 2026"}}, http.StatusCreated},
		{"signer without name", url.Values{"name": {"greffe.x"}, "role": {"clerk"}, "court": {rabat}, "password": {"greffe rabat 2026!"}}, http.StatusUnprocessableEntity},
		{"clerk without court", url.Values{"name": {"greffe.y"}, "role": {"clerk"}, "name_latin": {"Y"}, "password": {"greffe rabat 2026!"}}, http.StatusUnprocessableEntity},
		{"short password", url.Values{"name": {"viewer.z"}, "role": {"viewer"}, "password": {"short"}}, http.StatusUnprocessableEntity},
		{"taken", url.Values{"name": {clerk}, "role": {"viewer"}, "password": {"observatrice 2026"}}, http.StatusUnprocessableEntity},
		{"bad name", url.Values{"name": {"<b>x</b>"}, "role": {"viewer"}, "password": {"observatrice 2026"}}, http.StatusUnprocessableEntity},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := amina.post("/accounts", tt.form); status != tt.want {
				t.Errorf("create %s = %d, want %d\n%s", tt.name, status, tt.want, body)
			}
		})
	}
	if status, _ := e.person().login("parquet.karim", "parquet rabat 2026"); status != http.StatusOK {
		t.Errorf("the new prosecutor cannot sign in: %d", status)
	}
	keys, _ := e.reg.Store().SigningKeys(ctx)
	var karim []store.SigningKey
	for _, k := range keys {
		if k.Account == "parquet.karim" {
			karim = append(karim, k)
		}
	}
	if len(karim) != 1 || karim[0].Role != store.RoleProsecutor || karim[0].NameLatin != "Karim Tazi" || len(karim[0].Public) != 32 || bytes.Contains(karim[0].Sealed, karim[0].Public) {
		t.Fatalf("keys of parquet.karim = %+v", karim)
	}
	// A new key retires the old one; the key list keeps both.
	if status, body := amina.post("/accounts/parquet.karim/key", nil); status != http.StatusOK || !strings.Contains(body, "Nouvelle clé") {
		t.Errorf("new key = %d", status)
	}
	if status, _ := amina.post("/accounts/"+viewer+"/key", nil); status != http.StatusUnprocessableEntity {
		t.Errorf("key for a viewer = %d, want 422", status)
	}
	list, _ := e.con.Keys(ctx)
	old, _ := e.reg.Store().SigningKey(ctx, karim[0].ID)
	if _, ok := list[karim[0].ID]; !ok || old.RetiredAt.IsZero() {
		t.Errorf("old key %s: in list %v, retired %v", karim[0].ID, ok, old.RetiredAt)
	}
	for _, a := range []string{"parquet.karim", "greffe.hind", "viewer.leila"} {
		if !e.audited(operator, "account.create", a) {
			t.Errorf("creation of %s not audited", a)
		}
	}
	if !e.audited(operator, "signing_key.create", "parquet.karim") {
		t.Errorf("key generation not audited")
	}
}

// TestSigningKeyAtRest: the stored key is useless without the console's
// key-encryption key.
func TestSigningKeyAtRest(t *testing.T) {
	e := newEnv(t, envOptions{})
	raw, err := os.ReadFile(filepath.Join(e.dir, console.FileSigningKEK))
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(e.dir, console.FileSigningKEK)); st.Mode().Perm() != 0o600 {
		t.Errorf("%s mode = %v, want 0600", console.FileSigningKEK, st.Mode().Perm())
	}
	// Another directory, another key: the console there cannot sign with
	// the stored keys.
	other := t.TempDir()
	for _, f := range []string{"ca.pem", "ca.key", "server.pem", "server.key", "hpke.key", "hpke.pub"} {
		b, _ := os.ReadFile(filepath.Join(e.dir, f))
		os.WriteFile(filepath.Join(other, f), b, 0o600)
	}
	c2, err := console.New(console.Config{Registry: e.reg, Dir: other})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(other, console.FileSigningKEK))
	if bytes.Equal(b, raw) {
		t.Fatalf("two directories share a key-encryption key")
	}
	id, _ := e.submit("ma-casa-01", "bulletin3", citizen("EL AMRANI", "Fatima Zahra"))
	srv := httptestServer(t, c2.Handler())
	p := &person{e: &env{t: t, url: srv}, client: e.person().client}
	p.login(clerk, password)
	p.get("/requests/ma-casa-01/" + id)
	status, _ := p.post("/requests/ma-casa-01/"+id+"/extract", url.Values{"surname": {"EL AMRANI"}, "given_names": {"Fatima"}, "birth_date": {"1990-03-12"},
		"birth_place": {"Casablanca"}, "nationality": {"Marocaine"}, "prosecutor": {prosecutor}, "password": {password}})
	if status != http.StatusInternalServerError {
		t.Errorf("issue with the wrong key-encryption key = %d, want 500", status)
	}
	if _, err := e.reg.Store().ExtractOf(context.Background(), "ma-casa-01", id); err == nil {
		t.Errorf("an extract was stored")
	}
}
