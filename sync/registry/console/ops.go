package console

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"guichet/sync/registry"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// fleetData is the fleet page.
type fleetData struct {
	Kiosks               []KioskStatus
	Online, Offline, All int
	Thresholds           Thresholds
	Court                string
	Courts               []courtOption
}

func (c *Console) handleFleet(w http.ResponseWriter, r *http.Request, v visit) {
	ks, err := c.st.Kiosks(r.Context())
	if err != nil {
		c.internal(w, r, &v, "fleet", err)
		return
	}
	d := fleetData{Thresholds: c.thresholds(), Court: r.URL.Query().Get("court"), Courts: c.courts()}
	for _, k := range Fleet(ks, c.now(), d.Thresholds) {
		if d.Court != "" && k.Court != d.Court {
			continue
		}
		d.Kiosks = append(d.Kiosks, k)
		switch {
		case k.Revoked:
		case k.Online:
			d.Online++
		default:
			d.Offline++
		}
	}
	d.All = len(d.Kiosks)
	// Offline kiosks first: they are what operations look for.
	slices.SortStableFunc(d.Kiosks, func(a, b KioskStatus) int {
		ra, rb := rank(a), rank(b)
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(a.ID, b.ID)
	})
	c.render(w, r, http.StatusOK, "fleet", &v, pageData{Title: "Parc de bornes", Nav: "fleet", Data: d})
}

func rank(k KioskStatus) int {
	switch {
	case k.Revoked:
		return 2
	case !k.Online:
		return 0
	}
	return 1
}

type alertsData struct {
	Current []Alert
	History []store.Alert
}

func (c *Console) handleAlerts(w http.ResponseWriter, r *http.Request, v visit) {
	as, err := c.alerts(r.Context())
	if err != nil {
		c.internal(w, r, &v, "alerts", err)
		return
	}
	hist, err := c.st.Alerts(r.Context(), 100)
	if err != nil {
		c.internal(w, r, &v, "alerts", err)
		return
	}
	c.render(w, r, http.StatusOK, "alerts", &v, pageData{Title: "Alertes", Nav: "alerts", Data: alertsData{Current: as, History: hist}})
}

// tokensData is the enrolment token page; Issued is set once, right after
// issuing.
type tokensData struct {
	Courts  []courtOption
	Issued  *registry.IssuedToken
	Ticket  *registry.IssuedTicket // when a signed ticket was asked for
	Kind    string                 // "ticket" (signed, one hour, scanned) or "token" (typed)
	QR      template.URL           // data: URI of the QR code (PNG): the ticket's text, or the token's
	Court   string
	Kiosk   string
	Hours   int
	Pack    string
	Version int
}

func (c *Console) handleTokensPage(w http.ResponseWriter, r *http.Request, v visit) {
	c.render(w, r, http.StatusOK, "tokens", &v, pageData{Title: "Jetons d'enrôlement", Nav: "tokens", Data: tokensData{Courts: c.courts(), Hours: 72, Kind: "ticket"}})
}

func (c *Console) handleIssueToken(w http.ResponseWriter, r *http.Request, v visit) {
	f := r.PostForm
	d := tokensData{Courts: c.courts(), Court: f.Get("court"), Kiosk: strings.TrimSpace(f.Get("kiosk_id")), Kind: f.Get("kind")}
	d.Hours, _ = strconv.Atoi(f.Get("hours"))
	if d.Kind != "ticket" {
		d.Kind = "token"
	}
	refuse := func(msg string) {
		c.render(w, r, http.StatusUnprocessableEntity, "tokens", &v, pageData{Title: "Jetons d'enrôlement", Nav: "tokens", Error: msg, Data: d})
	}
	var court *courtOption
	for i, ct := range d.Courts {
		if ct.ID == d.Court {
			court = &d.Courts[i]
		}
	}
	if court == nil {
		refuse("Choisissez la juridiction de la borne.")
		return
	}
	p, _ := c.pack(court.Pack)
	d.Pack, d.Version = p.Code, p.Version
	if d.Kind == "ticket" {
		tk, err := c.reg.IssueTicket(r.Context(), v.Account.Name, registry.TicketSpec{Court: court.ID, CountryPack: p.Code, PackVersion: p.Version, KioskID: d.Kiosk})
		if err != nil {
			refuse("Ticket refusé : " + strings.TrimPrefix(err.Error(), "registry: "))
			return
		}
		png, err := qrcode.Encode(tk.Text, qrcode.Medium, 480)
		if err != nil {
			c.internal(w, r, &v, "ticket QR", err)
			return
		}
		d.Ticket, d.QR = &tk, template.URL("data:image/png;base64,"+base64.StdEncoding.EncodeToString(png))
		c.render(w, r, http.StatusCreated, "tokens", &v, pageData{Title: "Jetons d'enrôlement", Nav: "tokens", Notice: "Ticket émis : il ne sera plus affiché après cette page.", Data: d})
		return
	}
	if d.Hours < 1 || d.Hours > 30*24 {
		refuse("La validité va de 1 heure à 30 jours (720 heures).")
		return
	}
	tok, err := c.reg.IssueToken(r.Context(), v.Account.Name, registry.TokenSpec{Court: court.ID, CountryPack: p.Code, PackVersion: p.Version,
		KioskID: d.Kiosk, ValidFor: wire.Duration(time.Duration(d.Hours) * time.Hour)})
	if err != nil {
		refuse("Jeton refusé : " + strings.TrimPrefix(err.Error(), "registry: "))
		return
	}
	png, err := qrcode.Encode(tok.Token, qrcode.Medium, 320)
	if err != nil {
		c.internal(w, r, &v, "token QR", err)
		return
	}
	d.Issued, d.QR = &tok, template.URL("data:image/png;base64,"+base64.StdEncoding.EncodeToString(png))
	c.render(w, r, http.StatusCreated, "tokens", &v, pageData{Title: "Jetons d'enrôlement", Nav: "tokens", Notice: "Jeton émis : il ne sera plus affiché après cette page.", Data: d})
}

// settingsData is the reference-data page: the settings a kiosk applies
// from its change feed.
type settingsData struct {
	Kiosks    []store.Kiosk
	Courts    []courtOption
	Target    string // "all", "court:ID" or "kiosk:ID"
	Form      settingsForm
	Published []string
	Skipped   []string
	Documents []documentRow // the reference data published, latest of each
}

type settingsForm struct {
	Version                                  uint64
	TelemetrySeconds, FeedWaitSeconds, Batch int
	PackVersion                              int
	Message                                  string
}

func (c *Console) handleSettingsPage(w http.ResponseWriter, r *http.Request, v visit) {
	c.settingsPage(w, r, v, http.StatusOK, "", "")
}

// settingsPage shows the settings and reference-data page with its
// default form, and a message.
func (c *Console) settingsPage(w http.ResponseWriter, r *http.Request, v visit, status int, msg, notice string) {
	ks, err := c.st.Kiosks(r.Context())
	if err != nil {
		c.internal(w, r, &v, "settings", err)
		return
	}
	docs, err := c.documents(r)
	if err != nil {
		c.internal(w, r, &v, "settings", err)
		return
	}
	d := settingsData{Kiosks: ks, Courts: c.courts(), Target: "all", Documents: docs, Form: settingsForm{Version: uint64(c.now().Unix()), TelemetrySeconds: 300, FeedWaitSeconds: 30, Batch: 50}}
	c.render(w, r, status, "settings", &v, pageData{Title: "Données de référence", Nav: "settings", Error: msg, Notice: notice, Data: d})
}

func (c *Console) handlePublish(w http.ResponseWriter, r *http.Request, v visit) {
	ctx, f := r.Context(), r.PostForm
	ks, err := c.st.Kiosks(ctx)
	if err != nil {
		c.internal(w, r, &v, "settings", err)
		return
	}
	docs, err := c.documents(r)
	if err != nil {
		c.internal(w, r, &v, "settings", err)
		return
	}
	d := settingsData{Kiosks: ks, Courts: c.courts(), Target: f.Get("target"), Documents: docs}
	num := func(k string) int { n, _ := strconv.Atoi(strings.TrimSpace(f.Get(k))); return n }
	d.Form = settingsForm{TelemetrySeconds: num("telemetry"), FeedWaitSeconds: num("feed_wait"), Batch: num("batch"), PackVersion: num("pack_version"), Message: strings.TrimSpace(f.Get("message"))}
	d.Form.Version, _ = strconv.ParseUint(strings.TrimSpace(f.Get("version")), 10, 64)
	set := wire.Settings{Version: d.Form.Version, TelemetryInterval: wire.Duration(time.Duration(d.Form.TelemetrySeconds) * time.Second),
		FeedWait: wire.Duration(time.Duration(d.Form.FeedWaitSeconds) * time.Second), BatchMaxItems: d.Form.Batch, PackVersion: d.Form.PackVersion, Message: d.Form.Message}
	page := func(status int, msg, notice string) {
		c.render(w, r, status, "settings", &v, pageData{Title: "Données de référence", Nav: "settings", Error: msg, Notice: notice, Data: d})
	}
	if set.Version == 0 {
		page(http.StatusUnprocessableEntity, "Donnez un numéro de version : les bornes n'appliquent que des versions croissantes.", "")
		return
	}
	if err := set.Validate(); err != nil {
		page(http.StatusUnprocessableEntity, "Réglages refusés : "+strings.TrimPrefix(err.Error(), "wire: "), "")
		return
	}
	kind, id, _ := strings.Cut(d.Target, ":")
	var targets []store.Kiosk
	for _, k := range ks {
		if !k.RevokedAt.IsZero() {
			continue
		}
		if kind == "all" || (kind == "court" && k.Court == id) || (kind == "kiosk" && k.ID == id) {
			targets = append(targets, k)
		}
	}
	if len(targets) == 0 {
		page(http.StatusUnprocessableEntity, "Aucune borne en service ne correspond à la cible choisie.", "")
		return
	}
	for _, k := range targets {
		_, err := c.reg.PublishSettings(ctx, v.Account.Name, k.ID, set)
		switch {
		case err == nil:
			d.Published = append(d.Published, k.ID)
		case strings.Contains(err.Error(), "advertise"):
			d.Skipped = append(d.Skipped, k.ID)
		default:
			c.internal(w, r, &v, "publish settings", err)
			return
		}
	}
	page(http.StatusOK, "", fmt.Sprintf("Version %d publiée vers %d borne(s) ; %d ignorée(s) faute de savoir l'appliquer.", set.Version, len(d.Published), len(d.Skipped)))
}

// accountsData is the accounts page.
type accountsData struct {
	Accounts []accountRow
	Courts   []courtOption
	Form     NewAccount
}

type accountRow struct {
	store.Account
	Key *store.SigningKey
}

func (c *Console) accountsPage(w http.ResponseWriter, r *http.Request, v visit, status int, form NewAccount, msg, notice string) {
	ctx := r.Context()
	as, err := c.st.Accounts(ctx)
	if err != nil {
		c.internal(w, r, &v, "accounts", err)
		return
	}
	slices.SortFunc(as, func(a, b store.Account) int { return strings.Compare(a.Name, b.Name) })
	d := accountsData{Courts: c.courts(), Form: form}
	for _, a := range as {
		row := accountRow{Account: a}
		if k, err := c.activeKey(ctx, a.Name); err == nil {
			row.Key = &k
		}
		d.Accounts = append(d.Accounts, row)
	}
	c.render(w, r, status, "accounts", &v, pageData{Title: "Comptes", Nav: "accounts", Error: msg, Notice: notice, Data: d})
}

func (c *Console) handleAccounts(w http.ResponseWriter, r *http.Request, v visit) {
	c.accountsPage(w, r, v, http.StatusOK, NewAccount{}, "", "")
}

func (c *Console) handleNewAccount(w http.ResponseWriter, r *http.Request, v visit) {
	f := r.PostForm
	n := NewAccount{NewAccount: registry.NewAccount{Name: strings.TrimSpace(f.Get("name")), Role: store.Role(f.Get("role")), Court: f.Get("court"), Password: f.Get("password")},
		NameLatin: strings.TrimSpace(f.Get("name_latin")), NameArabic: strings.TrimSpace(f.Get("name_arabic"))}
	if n.Role == store.RoleOperator || n.Role == store.RoleViewer {
		n.Court = ""
	} else if !slices.ContainsFunc(c.courts(), func(ct courtOption) bool { return ct.ID == n.Court }) {
		n.Password = ""
		c.accountsPage(w, r, v, http.StatusUnprocessableEntity, n, "Un greffier ou un procureur appartient à une juridiction : choisissez-la.", "")
		return
	}
	if err := c.CreateAccount(r.Context(), v.Account.Name, n); err != nil {
		n.Password = ""
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "registry: "), "console: ")
		if errors.Is(err, store.ErrExists) {
			msg = "Ce nom de compte existe déjà."
		}
		c.accountsPage(w, r, v, http.StatusUnprocessableEntity, n, "Compte refusé : "+msg, "")
		return
	}
	c.accountsPage(w, r, v, http.StatusCreated, NewAccount{}, "", fmt.Sprintf("Compte « %s » créé (%s).", n.Name, roleLabel(n.Role)))
}

func (c *Console) handleNewKey(w http.ResponseWriter, r *http.Request, v visit) {
	name := r.PathValue("name")
	k, err := c.NewSigningKey(r.Context(), v.Account.Name, name, "", "")
	if err != nil {
		c.accountsPage(w, r, v, http.StatusUnprocessableEntity, NewAccount{}, "Clé refusée : "+strings.TrimPrefix(err.Error(), "console: signing key: "), "")
		return
	}
	c.accountsPage(w, r, v, http.StatusOK, NewAccount{}, "", fmt.Sprintf("Nouvelle clé %s pour %s ; les précédentes sont retirées.", k.ID, name))
}

func (c *Console) handleAudit(w http.ResponseWriter, r *http.Request, v visit) {
	es, err := c.st.Audit(r.Context(), 300)
	if err != nil {
		c.internal(w, r, &v, "audit", err)
		return
	}
	c.render(w, r, http.StatusOK, "audit", &v, pageData{Title: "Journal d'audit", Nav: "audit", Data: es})
}

// handleDisable disables or enables an account (…/disable, …/enable); a
// disabled account's sessions end at their next request. An operator does
// not disable themself.
func (c *Console) handleDisable(w http.ResponseWriter, r *http.Request, v visit) {
	ctx, name := r.Context(), r.PathValue("name")
	disable := strings.HasSuffix(r.URL.Path, "/disable")
	if name == v.Account.Name {
		c.accountsPage(w, r, v, http.StatusUnprocessableEntity, NewAccount{}, "Vous ne pouvez pas désactiver votre propre compte.", "")
		return
	}
	a, err := c.st.Account(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		c.accountsPage(w, r, v, http.StatusNotFound, NewAccount{}, "Ce compte n'existe pas.", "")
		return
	} else if err != nil {
		c.internal(w, r, &v, "disable", err)
		return
	}
	action, notice := "account.enable", "Compte « "+name+" » réactivé."
	a.DisabledAt = time.Time{}
	if disable {
		action, notice = "account.disable", "Compte « "+name+" » désactivé ; ses sessions sont closes."
		a.DisabledAt = c.now()
	}
	if err := c.st.PutAccount(ctx, a); err != nil {
		c.internal(w, r, &v, "disable", err)
		return
	}
	c.audit(ctx, v.Account.Name, action, name, "")
	c.accountsPage(w, r, v, http.StatusOK, NewAccount{}, "", notice)
}
