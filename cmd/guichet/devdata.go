package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"guichet/kiosk/pack"
	"guichet/sync/registry"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// Sample reference data the development registry publishes on its first
// start, so that every service of `make run` has something to find. The
// people are invented; the fines belong to the emulator's sample card
// (guichet-devsim card insert cnie: CIN BE123456).

// devFinesOwner is the national number of guichet-devsim's sample CNIE.
const devFinesOwner = "BE123456"

// devDirectory is an invented directory: for each city of the pack, one
// professional of each profession the directory form offers, with names
// from a short list in both scripts.
func devDirectory(p *pack.Pack, now time.Time) ([]byte, error) {
	names := []struct{ latin, arabic string }{
		{"Amina Berrada", "أمينة برادة"}, {"Karim Tazi", "كريم التازي"}, {"Salma Idrissi", "سلمى الإدريسي"},
		{"Omar Chraibi", "عمر الشرايبي"}, {"Leila Fassi", "ليلى الفاسي"}, {"Hamza Naciri", "حمزة الناصري"},
		{"Nour Lahlou", "نور لحلو"}, {"Yassine Benali", "ياسين بنعلي"}, {"Rim Kettani", "ريم الكتاني"},
	}
	professions, languages := directoryChoices(p)
	if len(professions) == 0 {
		return nil, fmt.Errorf("guichet: pack %s has no directory form with professions", p.Code)
	}
	arabic := false
	for _, l := range p.Languages {
		arabic = arabic || l.Code == "ar"
	}
	var out []wire.Professional
	i := 0
	for _, c := range p.Cities {
		for _, prof := range professions {
			n := names[i%len(names)]
			e := wire.Professional{
				NameLatin: n.latin, Profession: prof, City: c.ID,
				Registration: fmt.Sprintf("%s-%s-%04d", c.ID, prof, 1000+i*37%9000),
				Address:      fmt.Sprintf("%d, avenue de la Justice", 3+i%90),
				Phone:        fmt.Sprintf("+000 %03d %03d %03d", 100+i%900, 200+i*7%800, 300+i*13%700),
				Languages:    []string{languages[i%len(languages)], languages[(i+1)%len(languages)]},
				Status:       []string{"active", "active", "active", "suspended"}[i%4],
				UpdatedAt:    now.UTC().Truncate(time.Second).AddDate(0, 0, -i%60),
			}
			if e.Languages[0] == e.Languages[1] {
				e.Languages = e.Languages[:1]
			}
			if arabic {
				e.NameArabic = n.arabic
			}
			out = append(out, e)
			i++
		}
	}
	return json.Marshal(out)
}

// directoryChoices returns the profession and language values of the
// pack's directory form.
func directoryChoices(p *pack.Pack) (professions, languages []string) {
	for _, f := range p.Forms {
		professions, languages = nil, nil
		for _, fl := range f.Fields {
			for _, c := range fl.Choices {
				switch fl.ID {
				case "profession":
					professions = append(professions, c.Value)
				case "language":
					languages = append(languages, c.Value)
				}
			}
		}
		if len(professions) > 0 {
			break
		}
	}
	if len(languages) == 0 {
		languages = []string{p.Languages[0].Code}
	}
	return professions, languages
}

// devFines are three unpaid radar fines of the sample card's holder, and
// one of a foreign car known by its PV number alone.
func devFines(p *pack.Pack, now time.Time) []registry.FineRecord {
	day := now.UTC().Truncate(24 * time.Hour)
	city := func(i int) string { return p.Cities[i%len(p.Cities)].ID }
	return []registry.FineRecord{
		{PVNumber: "20260311-RF-2026", NationalNumber: devFinesOwner, Amount: 30000, Currency: p.Currency.Code, Date: day.AddDate(0, -3, 0), Place: "A7 PK 112 (" + city(5) + ")"},
		{PVNumber: "20260604-RF-2026", NationalNumber: devFinesOwner, Amount: 70000, Currency: p.Currency.Code, Date: day.AddDate(0, -2, -5), Place: "N1 PK 37 (" + city(3) + ")"},
		{PVNumber: "20260902-RF-2026", NationalNumber: devFinesOwner, Amount: 15000, Currency: p.Currency.Code, Date: day.AddDate(0, 0, -20), Place: "Boulevard Zerktouni (" + city(5) + ")"},
		{PVNumber: "20261015-RF-2026", Amount: 40000, Currency: p.Currency.Code, Date: day.AddDate(0, 0, -9), Place: "A1 PK 8 (" + city(0) + ")"},
	}
}

// seedDevRegistry publishes the sample directory and imports the sample
// fines into a fresh development registry.
func seedDevRegistry(ctx context.Context, reg *registry.Server, p *pack.Pack, now time.Time) error {
	dir, err := devDirectory(p, now)
	if err != nil {
		return err
	}
	if _, err := reg.Publish(ctx, devOperator, wire.DocProfessionals, dir, time.Time{}); err != nil {
		return fmt.Errorf("guichet: sample directory: %w", err)
	}
	var fines []store.Fine
	for _, r := range devFines(p, now) {
		fines = append(fines, r.Fine())
	}
	if _, err := reg.ImportFines(ctx, devOperator, fines); err != nil {
		return fmt.Errorf("guichet: sample fines: %w", err)
	}
	return nil
}
