package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"guichet/kiosk/request"
	"guichet/sync/registry/store"
)

// pageData is what every page's template receives.
type pageData struct {
	Title   string
	Nav     string // the menu entry to highlight
	Account *store.Account
	CSRF    string
	Error   string
	Notice  string
	Alerts  int // the alert count shown in the operators' menu
	Data    any
}

var stateLabels = map[request.State]string{
	request.Draft:        "Brouillon",
	request.Queued:       "En file sur la borne",
	request.Sent:         "Envoyée",
	request.Acknowledged: "Reçue",
	request.InProcessing: "En traitement",
	request.Ready:        "Prête",
	request.Delivered:    "Remise",
	request.Rejected:     "Rejetée",
	request.Cancelled:    "Annulée",
}

func stateLabel(s request.State) string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return string(s)
}

func roleLabel(r store.Role) string {
	switch r {
	case store.RoleClerk:
		return "greffier"
	case store.RoleProsecutor:
		return "procureur"
	case store.RoleOperator:
		return "opérateur"
	case store.RoleViewer:
		return "observateur"
	}
	return string(r)
}

// duration is a short French duration: "45 s", "12 min", "3 h 05", "2 j 4 h".
func duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %02d", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d j %d h", int(d.Hours())/24, int(d.Hours())%24)
}

// initials are the first letter of each word of the names, "F. Z. E.":
// what the public verification page shows of the holder.
func initials(names ...string) string {
	var parts []string
	for _, n := range names {
		for _, w := range strings.FieldsFunc(n, func(r rune) bool { return r == ' ' || r == '-' || r == '\'' }) {
			for _, r := range w {
				parts = append(parts, strings.ToUpper(string(r))+".")
				break
			}
		}
	}
	return strings.Join(parts, " ")
}

func compareFold(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }

func (c *Console) funcs() template.FuncMap {
	return template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(c.cfg.Location).Format("02/01/2006 15:04")
		},
		"ago": func(t time.Time) string {
			if t.IsZero() {
				return "jamais"
			}
			return "il y a " + duration(c.now().Sub(t))
		},
		"dur":     duration,
		"court":   c.courtName,
		"service": c.serviceName,
		"state":   stateLabel,
		"role":    roleLabel,
		"roles": func() []store.Role {
			return []store.Role{store.RoleClerk, store.RoleProsecutor, store.RoleOperator, store.RoleViewer}
		},
		"money": func(minor int64, currency string) string {
			return fmt.Sprintf("%d,%02d %s", minor/100, minor%100, currency)
		},
	}
}

// parseTemplates parses each page with the shared layout.
func (c *Console) parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("layout.html").Funcs(c.funcs()).ParseFS(assets, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(assets, f)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes page name with the layout; v is nil on pages seen
// signed out.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v *visit, d pageData) {
	if v != nil {
		d.Account, d.CSRF = &v.Account, v.Session.CSRF
		if v.Account.Role == store.RoleOperator || v.Account.Role == store.RoleViewer {
			if as, err := c.alerts(r.Context()); err == nil {
				d.Alerts = len(as)
			}
		}
	}
	t, ok := c.pages[name]
	if !ok {
		c.log.Error("console: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", d); err != nil {
		c.log.Error("console: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows an error page with a sentence for a person.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, v *visit, status int, msg string) {
	c.render(w, r, status, "error", v, pageData{Title: http.StatusText(status), Error: msg})
}

// internal logs err and shows a generic error.
func (c *Console) internal(w http.ResponseWriter, r *http.Request, v *visit, what string, err error) {
	c.log.Error("console: "+what, "err", err)
	c.fail(w, r, v, http.StatusInternalServerError, "Une erreur interne est survenue ; elle a été consignée. Réessayez dans un instant.")
}
