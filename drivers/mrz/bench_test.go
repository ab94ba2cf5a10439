package mrz

import "testing"

// BenchmarkParse measures one Parse per layout, on the ICAO specimens.
func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"td1_icao_specimen", "td2_icao_specimen", "td3_icao_specimen", "mrva_icao_specimen", "mrvb_icao_specimen", "td1_morocco_cnie"} {
		var s specimen
		for _, c := range specimens {
			if c.name == name {
				s = c
			}
		}
		opts := Options{Now: tableNow, NationalNumber: s.national}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m, err := Parse(s.lines, opts)
				if err != nil || !m.Valid {
					b.Fatalf("Parse(%q) = %+v, %v", s.lines, m, err)
				}
			}
		})
	}
}

// BenchmarkFormat measures writing a TD3 MRZ (used by the scanner emulator).
func BenchmarkFormat(b *testing.B) {
	m, err := Parse([]string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}, Options{Now: tableNow})
	if err != nil {
		b.Fatal(err)
	}
	doc := m.Document()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Format(doc); err != nil {
			b.Fatal(err)
		}
	}
}
