package console

import (
	"context"
	"fmt"
	"slices"
	"time"

	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// Thresholds decide when a kiosk needs operations' attention.
type Thresholds struct {
	OfflineAfter time.Duration // no telemetry nor batch for this long
	QueueAgeMax  time.Duration // the oldest outbox entry is older
	CertWarning  time.Duration // the client certificate expires within
}

// KioskStatus is one kiosk as the fleet page shows it.
type KioskStatus struct {
	ID, Serial, Court string
	Version           string
	LastSeen          time.Time
	Online            bool
	Revoked           bool
	Reported          bool // it sent telemetry at least once
	// Paper is the worst paper level of its printers; PaperDetail names
	// each printer's.
	Paper       wire.PaperLevel
	PaperDetail []string
	IDScanner   wire.Health // "" when not reported
	QRScanner   wire.Health
	QueueDepth  int
	OldestEntry time.Duration // as of its last telemetry
	CertExpiry  time.Time
	ServiceMode bool
	Update      *wire.UpdateState // the updater's state, when it reports one
}

// Alert is something operations should act on.
type Alert struct {
	Severity string // "critical" or "warning"
	Kind     string // "offline", "paper_out", "paper_low", "scanner", "queue_old", "cert_expiring", or a stored alert's kind ("conflict")
	KioskID  string
	Since    time.Time
	Text     string
}

var paperRank = map[wire.PaperLevel]int{wire.PaperOK: 0, wire.PaperUnknown: 1, wire.PaperLow: 2, wire.PaperOut: 3}

var peripheralNames = map[string]string{
	"receipt_printer": "reçu", "laser_printer": "laser", "id_scanner": "lecteur de carte", "qr_scanner": "lecteur QR", "presence": "présence",
}

func peripheralName(n string) string {
	if f, ok := peripheralNames[n]; ok {
		return f
	}
	return n
}

// Fleet computes each kiosk's status at now, in the order given.
func Fleet(ks []store.Kiosk, now time.Time, th Thresholds) []KioskStatus {
	out := make([]KioskStatus, 0, len(ks))
	for _, k := range ks {
		s := KioskStatus{ID: k.ID, Serial: k.Serial, Court: k.Court, Version: k.SoftwareVersion, LastSeen: k.LastSeen, Revoked: !k.RevokedAt.IsZero()}
		s.Online = !s.Revoked && now.Sub(k.LastSeen) <= th.OfflineAfter
		if t := k.Telemetry; t != nil {
			s.Reported, s.Update = true, t.Update
			for _, p := range t.Paper {
				if s.Paper == "" || paperRank[p.Level] > paperRank[s.Paper] {
					s.Paper = p.Level
				}
				s.PaperDetail = append(s.PaperDetail, peripheralName(p.Printer)+" : "+paperLabel(p.Level))
			}
			for _, p := range t.Peripherals {
				switch p.Name {
				case "id_scanner":
					s.IDScanner = p.Health
				case "qr_scanner":
					s.QRScanner = p.Health
				}
			}
			s.QueueDepth, s.OldestEntry = t.QueueDepth, t.OldestEntryAge.Std()
			s.CertExpiry, s.ServiceMode = t.CertNotAfter, t.ServiceMode
		}
		out = append(out, s)
	}
	return out
}

func paperLabel(l wire.PaperLevel) string {
	switch l {
	case wire.PaperOK:
		return "ok"
	case wire.PaperLow:
		return "bas"
	case wire.PaperOut:
		return "vide"
	}
	return "inconnu"
}

func healthLabel(h wire.Health) string {
	switch h {
	case wire.HealthOK:
		return "ok"
	case wire.HealthDegraded:
		return "dégradé"
	case wire.HealthFault:
		return "en panne"
	case wire.HealthAbsent:
		return "absent"
	}
	return "—"
}

// Alerts computes the alerts of the fleet at now, critical first, then by
// kiosk, followed by the stored alerts (conflicts…) given, newest first.
// Revoked kiosks raise none.
func Alerts(fleet []KioskStatus, stored []store.Alert, now time.Time, th Thresholds) []Alert {
	var out []Alert
	for _, k := range fleet {
		if k.Revoked {
			continue
		}
		if !k.Online {
			out = append(out, Alert{"critical", "offline", k.ID, k.LastSeen, fmt.Sprintf("Hors ligne depuis %s (seuil %s)", duration(now.Sub(k.LastSeen)), duration(th.OfflineAfter))})
		}
		switch k.Paper {
		case wire.PaperOut:
			out = append(out, Alert{"critical", "paper_out", k.ID, k.LastSeen, "Plus de papier (" + join(k.PaperDetail) + ")"})
		case wire.PaperLow:
			out = append(out, Alert{"warning", "paper_low", k.ID, k.LastSeen, "Papier bas (" + join(k.PaperDetail) + ")"})
		}
		for _, sc := range []struct {
			name string
			h    wire.Health
		}{{"lecteur de carte", k.IDScanner}, {"lecteur QR", k.QRScanner}} {
			switch sc.h {
			case wire.HealthFault, wire.HealthAbsent:
				out = append(out, Alert{"critical", "scanner", k.ID, k.LastSeen, "Le " + sc.name + " est " + healthLabel(sc.h)})
			case wire.HealthDegraded:
				out = append(out, Alert{"warning", "scanner", k.ID, k.LastSeen, "Le " + sc.name + " est dégradé"})
			}
		}
		if k.QueueDepth > 0 && k.OldestEntry > th.QueueAgeMax {
			out = append(out, Alert{"warning", "queue_old", k.ID, k.LastSeen, fmt.Sprintf("%d demande(s) en attente d'envoi, la plus ancienne depuis %s (seuil %s)", k.QueueDepth, duration(k.OldestEntry), duration(th.QueueAgeMax))})
		}
		if !k.CertExpiry.IsZero() && k.CertExpiry.Sub(now) < th.CertWarning {
			out = append(out, Alert{"warning", "cert_expiring", k.ID, k.LastSeen, "Certificat de la borne expirant le " + k.CertExpiry.UTC().Format("02/01/2006 15:04") + " UTC"})
		}
	}
	slices.SortStableFunc(out, func(a, b Alert) int {
		if a.Severity != b.Severity {
			if a.Severity == "critical" {
				return -1
			}
			return 1
		}
		return compareFold(a.KioskID, b.KioskID)
	})
	for _, a := range stored {
		text := a.Detail
		if a.Kind == store.AlertConflict {
			text = "Conflit : " + a.Detail
		}
		out = append(out, Alert{"critical", a.Kind, a.KioskID, a.At, text})
	}
	return out
}

func join(xs []string) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ", "
		}
		s += x
	}
	return s
}

func (c *Console) thresholds() Thresholds {
	return Thresholds{OfflineAfter: c.cfg.OfflineAfter, QueueAgeMax: c.cfg.QueueAgeMax, CertWarning: c.cfg.CertWarning}
}

// storedAlertWindow is how far back stored alerts (conflicts) count as
// current.
const storedAlertWindow = 24 * time.Hour

// alerts are the current alerts: the fleet's and the stored ones of the
// last day.
func (c *Console) alerts(ctx context.Context) ([]Alert, error) {
	ks, err := c.st.Kiosks(ctx)
	if err != nil {
		return nil, err
	}
	stored, err := c.st.Alerts(ctx, 200)
	if err != nil {
		return nil, err
	}
	now := c.now()
	recent := stored[:0:0]
	for _, a := range stored {
		if now.Sub(a.At) <= storedAlertWindow {
			recent = append(recent, a)
		}
	}
	return Alerts(Fleet(ks, now, c.thresholds()), recent, now, c.thresholds()), nil
}
