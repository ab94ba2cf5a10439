package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"guichet/drivers/pdfdoc"
	"guichet/kiosk/extract"
	"guichet/kiosk/flow"
	"guichet/kiosk/pack"
	"guichet/kiosk/store"
	"guichet/kiosk/tracking"
	"guichet/sync/client"
	"guichet/sync/wire"
)

// The services a citizen asks of the registry through the sync client
// (fines, extract collection), and the directory of professionals the
// registry publishes into the change feed.

// onlineError maps the sync client's errors onto what the flow tells the
// citizen.
func onlineError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, client.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", flow.ErrOffline, err)
	case errors.Is(err, client.ErrHolderMismatch):
		return fmt.Errorf("%w: %w", flow.ErrIdentityMismatch, err)
	case errors.Is(err, client.ErrNotReady):
		return fmt.Errorf("%w: %w", flow.ErrNotReady, err)
	case errors.Is(err, client.ErrDelivered):
		return fmt.Errorf("%w: %w", flow.ErrAlreadyDelivered, err)
	case errors.Is(err, client.ErrSignature):
		return fmt.Errorf("%w: %w", flow.ErrSignatureInvalid, err)
	}
	var p *wire.Problem
	if errors.As(err, &p) && p.Code == wire.CodeNotFound {
		return fmt.Errorf("%w: %w", flow.ErrNotFound, err)
	}
	return err
}

// errNotEnrolled is what the online services answer on a kiosk that is not
// enrolled: for the citizen, the registry cannot be reached.
var errNotEnrolled = fmt.Errorf("%w: the kiosk is not enrolled with a registry", flow.ErrOffline)

// fineLookup is flow.FineLookup through the sync client.
type fineLookup struct{ link *syncLink }

func (l fineLookup) Lookup(ctx context.Context, q flow.FineQuery) ([]flow.Fine, error) {
	if l.link.c == nil {
		return nil, errNotEnrolled
	}
	fines, err := l.link.c.LookupFines(ctx, q.NationalNumber, q.PVNumber)
	if err != nil {
		return nil, onlineError(err)
	}
	out := make([]flow.Fine, len(fines))
	for i, f := range fines {
		out[i] = flow.Fine{PVNumber: f.PVNumber, Amount: f.Amount, Date: f.Date, Place: f.Place, Court: f.Court}
	}
	return out, nil
}

// extractFetcher is flow.ExtractFetcher through the sync client: the
// extract is verified there, then laid out in the citizen's language and
// rendered to the PDF the laser printer takes.
type extractFetcher struct {
	link *syncLink
	pack *pack.Pack
	log  *slog.Logger
}

func (x extractFetcher) Fetch(ctx context.Context, n tracking.Number, h flow.Holder) (flow.Extract, error) {
	if x.link.c == nil {
		return flow.Extract{}, errNotEnrolled
	}
	e, err := x.link.c.FetchExtract(ctx, n, wire.Holder{NationalNumber: h.NationalNumber, DocumentNumber: h.DocumentNumber, BirthDate: h.BirthDate}, x.pack.ExtractVerificationBase)
	if err != nil {
		return flow.Extract{}, onlineError(err)
	}
	lang := h.Lang
	if _, ok := x.pack.Language(lang); !ok || lang == "" {
		lang = x.pack.Languages[0].Code
	}
	doc, err := extract.Layout(e, x.pack, lang, time.Local)
	if err != nil {
		return flow.Extract{}, fmt.Errorf("guichet: lay the extract out: %w", err)
	}
	pdf, err := pdfdoc.Render(doc, pdfdoc.Options{})
	if err != nil {
		return flow.Extract{}, fmt.Errorf("guichet: render the extract: %w", err)
	}
	return flow.Extract{Tracking: n, Document: pdf, ContentType: "application/pdf"}, nil
}

// Delivered records the delivery with the registry, trying a few times
// within a minute in the background when it cannot at once: the citizen has
// the extract in hand and does not wait for it. The registry refuses a
// second collection of the same extract once the delivery is recorded.
func (x extractFetcher) Delivered(ctx context.Context, n tracking.Number) error {
	if x.link.c == nil {
		return errNotEnrolled
	}
	at := time.Now()
	err := x.link.c.Delivered(ctx, n, at)
	if err == nil || !errors.Is(onlineError(err), flow.ErrOffline) {
		return onlineError(err)
	}
	go func() {
		for wait := 2 * time.Second; wait < time.Minute; wait *= 2 {
			time.Sleep(wait)
			rctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			err := x.link.c.Delivered(rctx, n, at)
			cancel()
			if err == nil {
				x.log.Info("delivery recorded on retry", "tracking", string(n))
				return
			}
		}
		x.log.Error("delivery not recorded with the registry; the clerk must mark it", "tracking", string(n))
	}()
	return onlineError(err)
}

// directory is flow.Directory over the professionals document the registry
// publishes (wire.DocProfessionals), as applied to the store by the change
// feed; it works offline. The parsed list is kept until a newer version
// arrives.
type directory struct {
	st *store.Store

	mu      sync.Mutex
	version uint64
	entries []dirEntry
	synced  time.Time
}

// dirEntry is a professional with the folded forms of the names searched.
type dirEntry struct {
	flow.Professional
	folded string
}

func (d *directory) load() error {
	doc, err := d.st.Document(store.ChangeReferenceData, wire.DocProfessionals)
	if errors.Is(err, store.ErrNotFound) {
		d.version, d.entries, d.synced = 0, nil, time.Time{}
		return nil
	}
	if err != nil {
		return err
	}
	if doc.Version == d.version {
		return nil
	}
	ps, err := wire.ParseProfessionals(doc.Payload)
	if err != nil {
		return fmt.Errorf("guichet: directory version %d: %w", doc.Version, err)
	}
	entries := make([]dirEntry, 0, len(ps))
	for _, p := range ps {
		if p.Status == "struck_off" {
			continue // no longer practising: not shown to citizens
		}
		entries = append(entries, dirEntry{
			Professional: flow.Professional{NameLatin: p.NameLatin, NameArabic: p.NameArabic, Profession: p.Profession, Registration: p.Registration,
				City: p.City, Address: p.Address, Phone: p.Phone, Languages: p.Languages, Status: p.Status, UpdatedAt: p.UpdatedAt},
			folded: fold(p.NameLatin) + "\x00" + fold(p.NameArabic),
		})
	}
	slices.SortStableFunc(entries, func(a, b dirEntry) int { return strings.Compare(fold(a.NameLatin), fold(b.NameLatin)) })
	d.version, d.entries, d.synced = doc.Version, entries, doc.Received
	return nil
}

func (d *directory) Search(ctx context.Context, q flow.DirectoryQuery, offset, limit int) (flow.DirectoryPage, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.load(); err != nil {
		return flow.DirectoryPage{}, err
	}
	name := fold(q.Name)
	var match []flow.Professional
	for _, e := range d.entries {
		switch {
		case q.Profession != "" && e.Profession != q.Profession,
			q.City != "" && e.City != q.City,
			q.Language != "" && !slices.Contains(e.Languages, q.Language),
			name != "" && !strings.Contains(e.folded, name):
			continue
		}
		match = append(match, e.Professional)
	}
	page := flow.DirectoryPage{Total: len(match), SyncedAt: d.synced}
	if offset < len(match) {
		page.Entries = match[offset:min(len(match), offset+max(limit, 0))]
	}
	return page, nil
}

// fold makes a name comparable however it is typed: lower case, without
// accents (é → e) or Arabic short vowels and tatweel, and with the forms
// of alif and of final yā' and tā' marbūṭa brought together.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), r == 'ـ':
			continue
		case r == 'أ', r == 'إ', r == 'آ', r == 'ٱ':
			r = 'ا'
		case r == 'ى':
			r = 'ي'
		case r == 'ة':
			r = 'ه'
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
