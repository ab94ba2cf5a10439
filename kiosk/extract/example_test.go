package extract_test

import (
	"fmt"
	"time"

	"guichet/kiosk/extract"
	"guichet/kiosk/extract/extracttest"
	"guichet/kiosk/pack"
)

// The kiosk verifies an extract the registry signed before laying it out
// for the printer.
func ExampleExtract_Verify() {
	p, _ := pack.Embedded("ma")
	e, _ := extracttest.Sample(p) // as fetched from the registry

	if err := e.Verify(extracttest.Keys(), p.ExtractVerificationBase); err != nil {
		fmt.Println("refused:", err)
		return
	}
	fmt.Println(e.VerificationURL)

	e.Holder.Surname.Latin = "EL AMRI" // altered after signing
	fmt.Println(e.Verify(extracttest.Keys(), p.ExtractVerificationBase))
	// Output:
	// https://verif.justice.gov.ma/v/K7MX4HQ9XR33.7JNHKRWXCTZICF4S
	// extract: signatures[0] (clerk, key sample-greffe-2026): signature does not verify
}

func ExampleLayout() {
	p, _ := pack.Embedded("ma")
	e, _ := extracttest.Sample(p)
	d, err := extract.Layout(e, p, "fr", time.FixedZone("+01", 3600))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range d.Blocks {
		switch b := b.(type) {
		case extract.Title:
			fmt.Println(b.Text, "—", b.Subtitle)
		case extract.Statement:
			fmt.Println(b.Text)
		case extract.Signatures:
			for _, s := range b.Signers {
				fmt.Println(s.Title)
			}
		}
	}
	// Output:
	// Extrait du casier judiciaire — Bulletin n° 3
	// Néant
	// Le greffier
	// Le procureur du Roi
}
