package console

import (
	"net/http"
	"strings"
	"time"

	"guichet/kiosk/extract"
	"guichet/kiosk/tracking"
	"guichet/sync/registry/store"
)

// verifyData is the public verification page: whether the extract is
// genuine, and only what lets the reader match it to the paper in hand.
type verifyData struct {
	Valid    bool
	Number   string
	Court    string
	IssuedAt time.Time
	Initials string
	Code     string
}

// handleVerify answers the extract's QR code: /v/TRACKING.FRAGMENT. It is
// public: an unknown code, a fragment that matches no extract, an extract
// not yet endorsed and one whose signatures fail all get the same
// "invalid" answer, which says nothing of the request behind.
func (c *Console) handleVerify(w http.ResponseWriter, r *http.Request) {
	code := strings.ToUpper(strings.TrimSpace(r.PathValue("code")))
	d := verifyData{Code: code}
	if len(code) > 64 {
		d.Code = code[:64] + "…"
	}
	if e := c.lookup(r, code); e != nil {
		d.Valid, d.Number, d.Court, d.IssuedAt = true, e.Number, c.courtName(e.Court), e.IssuedAt
		d.Initials = initials(e.Holder.GivenNames.In("Latn"), e.Holder.Surname.In("Latn"))
	}
	status := http.StatusOK
	if !d.Valid {
		status = http.StatusNotFound
	}
	c.render(w, r, status, "verify", nil, pageData{Title: "Vérification d'un extrait", Data: d})
}

// lookup finds the endorsed extract whose verification code is code and
// verifies it; nil when there is none or it does not verify.
func (c *Console) lookup(r *http.Request, code string) *extract.Extract {
	trk, frag, ok := strings.Cut(code, ".")
	if !ok || len(frag) != extract.FragmentLen {
		return nil
	}
	n, err := tracking.Parse(trk)
	if err != nil {
		return nil
	}
	ctx := r.Context()
	xs, err := c.st.Extracts(ctx, store.ExtractFilter{Tracking: string(n), Limit: 10})
	if err != nil {
		c.log.Error("console: verify lookup", "err", err)
		return nil
	}
	for _, x := range xs {
		if x.Fragment != frag || !x.Endorsed() {
			continue
		}
		e, err := extract.Parse(x.Document)
		if err != nil {
			c.log.Error("console: verify: stored extract does not parse", "number", x.Number, "err", err)
			continue
		}
		if err := c.verify(ctx, e, x.KioskID); err != nil {
			c.log.Warn("console: verify: stored extract does not verify", "number", x.Number, "err", err)
			continue // another record may hold the genuine one
		}
		return e
	}
	return nil
}
