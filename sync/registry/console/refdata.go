package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"guichet/sync/registry"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// Reference data: the operator uploads the directory of professionals,
// which the registry signs and sends to every kiosk, and the traffic
// authority's file of radar fines.

// documentRow is a published document on the settings page.
type documentRow struct {
	Name    string
	Version uint64
	Issued  time.Time
	Expires time.Time
	KeyID   string
	Bytes   int
}

func (c *Console) documents(r *http.Request) ([]documentRow, error) {
	ds, err := c.st.Documents(r.Context())
	if err != nil {
		return nil, err
	}
	var out []documentRow
	for _, d := range ds {
		out = append(out, documentRow{Name: d.Name, Version: d.Version, Issued: d.Issued, Expires: d.Expires, KeyID: d.KeyID, Bytes: len(d.Payload)})
	}
	return out, nil
}

// upload reads the form's file field, at most max bytes.
func upload(r *http.Request, field string, max int64) ([]byte, error) {
	f, _, err := r.FormFile(field)
	if err != nil {
		return nil, errors.New("choisissez un fichier")
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("le fichier dépasse %d octets", max)
	}
	return b, nil
}

func (c *Console) handlePublishDocument(w http.ResponseWriter, r *http.Request, v visit) {
	page := func(status int, msg, notice string) { c.settingsPage(w, r, v, status, msg, notice) }
	name := r.PostForm.Get("name")
	if name != wire.DocProfessionals {
		page(http.StatusUnprocessableEntity, "Choisissez le document à publier.", "")
		return
	}
	payload, err := upload(r, "file", wire.MaxDocument)
	if err != nil {
		page(http.StatusUnprocessableEntity, "Fichier refusé : "+err.Error()+".", "")
		return
	}
	var expires time.Time
	if d := strings.TrimSpace(r.PostForm.Get("expires")); d != "" {
		if expires, err = time.ParseInLocation(time.DateOnly, d, c.cfg.Location); err != nil || !expires.After(c.now()) {
			page(http.StatusUnprocessableEntity, "La date d'expiration doit être une date à venir (AAAA-MM-JJ).", "")
			return
		}
	}
	pub, err := c.reg.Publish(r.Context(), v.Account.Name, name, payload, expires)
	switch {
	case errors.Is(err, registry.ErrBadDocument):
		page(http.StatusUnprocessableEntity, "Document refusé, rien n'a été publié : "+strings.TrimPrefix(err.Error(), "registry: document refused: ")+".", "")
	case err != nil:
		c.internal(w, r, &v, "publish document", err)
	default:
		page(http.StatusOK, "", fmt.Sprintf("« %s » version %d signée (clé %s) et envoyée à %d borne(s).", pub.Document.Name, pub.Document.Version, pub.Document.KeyID, pub.Kiosks))
	}
}

func (c *Console) handleImportFines(w http.ResponseWriter, r *http.Request, v visit) {
	page := func(status int, msg, notice string) { c.settingsPage(w, r, v, status, msg, notice) }
	b, err := upload(r, "file", wire.MaxDocument)
	if err != nil {
		page(http.StatusUnprocessableEntity, "Fichier refusé : "+err.Error()+".", "")
		return
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var recs []registry.FineRecord
	if err := dec.Decode(&recs); err != nil || dec.More() {
		page(http.StatusUnprocessableEntity, fmt.Sprintf("Le fichier n'est pas une liste JSON d'amendes : %v.", err), "")
		return
	}
	fines := make([]store.Fine, len(recs))
	for i, rec := range recs {
		fines[i] = rec.Fine()
	}
	n, err := c.reg.ImportFines(r.Context(), v.Account.Name, fines)
	switch {
	case errors.Is(err, wire.ErrInvalid):
		page(http.StatusUnprocessableEntity, "Fichier refusé, rien n'a été importé : "+strings.TrimPrefix(err.Error(), "wire: invalid message: ")+".", "")
	case err != nil:
		c.internal(w, r, &v, "import fines", err)
	default:
		page(http.StatusOK, "", fmt.Sprintf("%d amende(s) dans le fichier, %d enregistrée(s) ; les amendes déjà payées sont restées telles quelles.", len(recs), n))
	}
}
