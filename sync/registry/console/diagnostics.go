package console

import (
	"errors"
	"net/http"
	"strings"

	"guichet/sync/registry/store"
)

// diagnosticsData is a kiosk's diagnostics page.
type diagnosticsData struct {
	Kiosk   store.Kiosk
	Bundles []store.Diagnostics
}

func (c *Console) diagnosticsPage(w http.ResponseWriter, r *http.Request, v visit, status int, msg, notice string) {
	ctx := r.Context()
	k, err := c.st.Kiosk(ctx, r.PathValue("kiosk"))
	if errors.Is(err, store.ErrNotFound) {
		c.fail(w, r, &v, http.StatusNotFound, "Borne inconnue.")
		return
	} else if err != nil {
		c.internal(w, r, &v, "diagnostics", err)
		return
	}
	ds, err := c.st.Diagnostics(ctx, k.ID, 10)
	if err != nil {
		c.internal(w, r, &v, "diagnostics", err)
		return
	}
	c.render(w, r, status, "diagnostics", &v, pageData{Title: "Diagnostic " + k.ID, Nav: "fleet", Error: msg, Notice: notice, Data: diagnosticsData{Kiosk: k, Bundles: ds}})
}

func (c *Console) handleDiagnostics(w http.ResponseWriter, r *http.Request, v visit) {
	c.diagnosticsPage(w, r, v, http.StatusOK, "", "")
}

func (c *Console) handleRequestDiagnostics(w http.ResponseWriter, r *http.Request, v visit) {
	req, err := c.reg.RequestDiagnostics(r.Context(), v.Account.Name, r.PathValue("kiosk"))
	if err != nil {
		c.diagnosticsPage(w, r, v, http.StatusConflict, "Demande refusée : "+strings.TrimPrefix(err.Error(), "registry: ")+".", "")
		return
	}
	c.diagnosticsPage(w, r, v, http.StatusOK, "", "Demande "+req+" envoyée : la borne répond à son prochain relevé du flux (quelques secondes si elle est en ligne). Rechargez la page.")
}
