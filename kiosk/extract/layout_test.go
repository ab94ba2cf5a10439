package extract_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/extract"
	"guichet/kiosk/extract/extracttest"
	"guichet/kiosk/pack"
)

const (
	lri = "\u2066"
	fsi = "\u2068"
	pdi = "\u2069"
)

func TestLayoutTogo(t *testing.T) {
	e, p := sample(t, "tg")
	got, err := extract.Layout(e, p, "fr", time.UTC)
	if err != nil {
		t.Fatalf("Layout() error: %v", err)
	}
	fp := func(i int) string { return lri + e.Signatures[i].Fingerprint() + pdi }
	want := &extract.Document{
		Lang: "fr", Script: "Latn", RTL: false,
		Title:  "Extrait du casier judiciaire — Bulletin n° 3 — " + lri + "B3/2026/004217" + pdi,
		Footer: "Extrait n° " + lri + "B3/2026/004217" + pdi,
		Blocks: []extract.Block{
			extract.Header{Lines: []string{"République togolaise", "Ministère de la Justice et de la Législation", "Tribunal de première instance de Lomé"}},
			extract.Title{Text: "Extrait du casier judiciaire", Subtitle: "Bulletin n° 3"},
			extract.Fields{Rows: []extract.Field{
				{Label: "Extrait n°", Value: lri + "B3/2026/004217" + pdi},
				{Label: "Demande n°", Value: lri + "K7MX-4HQ9-XR33" + pdi},
				{Label: "Délivré le", Value: lri + "16/03/2026 09:42" + pdi},
				{Label: "Délivré par", Value: fsi + "Tribunal de première instance de Lomé" + pdi},
			}},
			extract.Section{Text: "Identité de la personne concernée"},
			extract.Fields{Rows: []extract.Field{
				{Label: "Nom", Value: fsi + "AGBEKO" + pdi},
				{Label: "Prénoms", Value: fsi + "Kossi Mawuli" + pdi},
				{Label: "Nom du père", Value: fsi + "Komlan Agbeko" + pdi},
				{Label: "Nom de la mère", Value: fsi + "Afi Mensah" + pdi},
				{Label: "Date de naissance", Value: lri + "04/07/1988" + pdi},
				{Label: "Lieu de naissance", Value: fsi + "Lomé" + pdi},
				{Label: "Nationalité", Value: fsi + "Togolaise" + pdi},
			}},
			extract.Section{Text: "Condamnations inscrites au bulletin n° 3"},
			extract.Statement{Text: "Néant"},
			extract.Section{Text: "Signatures"},
			extract.Signatures{Signers: []extract.Signer{
				{Title: "Le greffier", Name: fsi + "Ama Kpodar" + pdi, Lines: []string{
					"Signé électroniquement", "Clé : " + lri + extracttest.ClerkKeyID + pdi, "Empreinte : " + fp(0),
				}},
				{Title: "Le procureur de la République", Name: fsi + "Essowè Batchassi" + pdi, Lines: []string{
					"Signé électroniquement", "Clé : " + lri + extracttest.ProsecutorKeyID + pdi, "Empreinte : " + fp(1),
				}},
			}},
			extract.Verification{Payload: e.VerificationURL, Lines: []string{
				"Pour vérifier l'authenticité de cet extrait, scannez ce code ou ouvrez l'adresse ci-dessous.",
				lri + e.VerificationURL + pdi,
			}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Layout(tg, fr) (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(e.VerificationURL, "https://verif.justice.gouv.tg/v/K7MX4HQ9XR33.") {
		t.Errorf("VerificationURL = %q, want the Togolese base and the tracking number", e.VerificationURL)
	}
}

// blockTexts flattens a document's texts for the checks below.
func blockTexts(d *extract.Document) []string {
	var out []string
	for _, b := range d.Blocks {
		switch b := b.(type) {
		case extract.Header:
			out = append(out, b.Lines...)
		case extract.Title:
			out = append(out, b.Text, b.Subtitle)
		case extract.Section:
			out = append(out, b.Text)
		case extract.Fields:
			for _, r := range b.Rows {
				out = append(out, r.Label, r.Value)
			}
		case extract.Table:
			out = append(out, b.Columns...)
			for _, r := range b.Rows {
				out = append(out, r...)
			}
		case extract.Statement:
			out = append(out, b.Text)
		case extract.Signatures:
			for _, s := range b.Signers {
				out = append(out, s.Title, s.Name)
				out = append(out, s.Lines...)
			}
		case extract.Verification:
			out = append(out, b.Lines...)
		}
	}
	return out
}

func TestLayoutMorocco(t *testing.T) {
	casablanca := time.FixedZone("Africa/Casablanca", 3600)
	tests := []struct {
		lang   string
		rtl    bool
		script string
		want   []string // texts the document holds, among others
	}{
		{"ar", true, "Arab", []string{
			"المملكة المغربية", "وزارة العدل", "المحكمة الابتدائية بالدار البيضاء",
			"مستخرج من السجل العدلي", "البطاقة رقم 3",
			fsi + "العمراني" + pdi, fsi + "فاطمة الزهراء" + pdi, fsi + "الدار البيضاء" + pdi,
			lri + "BE123456" + pdi, lri + "12/03/1990" + pdi, lri + "16/03/2026 10:42" + pdi,
			"لا شيء", "كاتب الضبط", "وكيل الملك", fsi + "نادية بنجلون" + pdi,
		}},
		{"fr", false, "Latn", []string{
			"Royaume du Maroc", "Ministère de la Justice", "Tribunal de première instance de Casablanca",
			fsi + "EL AMRANI" + pdi, fsi + "Fatima Zahra" + pdi, fsi + "Casablanca" + pdi,
			"Néant", "Le greffier", "Le procureur du Roi", fsi + "Nadia Benjelloun" + pdi,
		}},
		{"zgh", false, "Tfng", []string{"ⵡⴰⵍⵓ", fsi + "EL AMRANI" + pdi}},
		{"en", false, "Latn", []string{"Kingdom of Morocco", "None", "The King's prosecutor"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			e, p := sample(t, "ma")
			d, err := extract.Layout(e, p, tt.lang, casablanca)
			if err != nil {
				t.Fatalf("Layout() error: %v", err)
			}
			if d.RTL != tt.rtl || d.Script != tt.script || d.Lang != tt.lang {
				t.Errorf("Layout() lang, script, RTL = %s, %s, %v, want %s, %s, %v", d.Lang, d.Script, d.RTL, tt.lang, tt.script, tt.rtl)
			}
			texts := blockTexts(d)
			for _, w := range tt.want {
				found := false
				for _, s := range texts {
					found = found || s == w || strings.HasSuffix(s, " "+w)
				}
				if !found {
					t.Errorf("Layout(ma, %s) has no text %q; texts:\n%q", tt.lang, w, texts)
				}
			}
			for _, s := range texts {
				if strings.Contains(s, "extract.") {
					t.Errorf("Layout(ma, %s) prints a message key: %q", tt.lang, s)
				}
			}
			last := d.Blocks[len(d.Blocks)-1].(extract.Verification)
			if last.Payload != e.VerificationURL {
				t.Errorf("Verification payload = %q, want %q", last.Payload, e.VerificationURL)
			}
		})
	}
}

func TestLayoutEntries(t *testing.T) {
	e, p := sample(t, "ma")
	e.Entries = []extract.Entry{
		{Date: "2019-05-02", Court: extract.Written{Latin: "TPI de Rabat", Arabic: "المحكمة الابتدائية بالرباط"},
			Offence: extract.Written{Latin: "Vol qualifié", Arabic: "سرقة موصوفة"}, Sentence: extract.Written{Latin: "3 ans d'emprisonnement", Arabic: "3 سنوات حبسا"}},
	}
	if err := extracttest.SignAll(e, p.ExtractVerificationBase); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		lang string
		want extract.Table
	}{
		{"fr", extract.Table{
			Columns: []string{"Date", "Juridiction", "Infraction", "Peine"},
			Rows:    [][]string{{lri + "02/05/2019" + pdi, fsi + "TPI de Rabat" + pdi, fsi + "Vol qualifié" + pdi, fsi + "3 ans d'emprisonnement" + pdi}},
		}},
		{"ar", extract.Table{
			Columns: []string{"التاريخ", "المحكمة", "الجريمة", "العقوبة"},
			Rows:    [][]string{{lri + "02/05/2019" + pdi, fsi + "المحكمة الابتدائية بالرباط" + pdi, fsi + "سرقة موصوفة" + pdi, fsi + "3 سنوات حبسا" + pdi}},
		}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			d, err := extract.Layout(e, p, tt.lang, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got *extract.Table
			for _, b := range d.Blocks {
				if tb, ok := b.(extract.Table); ok {
					got = &tb
				}
				if _, ok := b.(extract.Statement); ok {
					t.Errorf("Layout() has a Statement (Néant) for an extract with convictions")
				}
			}
			if got == nil {
				t.Fatalf("Layout() has no Table")
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("Layout(%s) table (-want +got):\n%s", tt.lang, diff)
			}
		})
	}
}

func TestLayoutRefuses(t *testing.T) {
	tests := []struct {
		name string
		edit func(e *extract.Extract, p *pack.Pack) string // returns the language
		want string
	}{
		{"language not in pack", func(*extract.Extract, *pack.Pack) string { return "es" }, `language "es"`},
		{"court not in pack", func(e *extract.Extract, p *pack.Pack) string {
			e.Court = "tpi-lome"
			return "fr"
		}, `court "tpi-lome"`},
		{"message missing", func(e *extract.Extract, p *pack.Pack) string {
			delete(p.Messages["fr"], "extract.none")
			return "fr"
		}, `no message "extract.none" in fr`},
		{"not signed", func(e *extract.Extract, p *pack.Pack) string {
			e.VerificationURL = ""
			return "fr"
		}, "not signed"},
		{"invalid", func(e *extract.Extract, p *pack.Pack) string {
			e.Number = ""
			return "fr"
		}, "invalid extract"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, p := sample(t, "ma")
			lang := tt.edit(e, p)
			_, err := extract.Layout(e, p, lang, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Layout() = %v, want an error containing %q", err, tt.want)
			}
			if errors.Is(err, extract.ErrUnsigned) != (tt.name == "not signed") {
				t.Errorf("Layout() = %v: ErrUnsigned only for an unsigned extract", err)
			}
		})
	}
}

// TestPacksHaveMessages: every embedded pack translates every key Layout
// uses in every one of its languages.
func TestPacksHaveMessages(t *testing.T) {
	for _, code := range pack.EmbeddedCodes() {
		p := loadPack(t, code)
		for _, l := range p.Languages {
			for _, k := range extract.MessageKeys {
				if p.Messages[l.Code][k] == "" {
					t.Errorf("pack %s has no message %q in %s", code, k, l.Code)
				}
			}
		}
	}
}
