package receipt_test

import (
	"fmt"
	"time"

	"guichet/kiosk/pack"
	"guichet/kiosk/receipt"
	"guichet/kiosk/request"
	"guichet/kiosk/tracking"
)

func ExampleRequest() {
	ma, err := pack.Embedded("ma")
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, time.May, 12, 13, 5, 0, 0, time.UTC)
	n, _ := tracking.Parse("3G33-XKDE-NM3M")
	r := request.Request{
		ID: "00112233445566778899aabbccddeeff", Tracking: n, Service: "bulletin3",
		Court: "tpi-fes", Fee: 2000, Currency: "MAD", State: request.Queued,
		CreatedAt: at, UpdatedAt: at, KioskID: "ma-casa-01", PackVersion: 1,
	}
	k := receipt.Kiosk{ID: "ma-casa-01", Court: "tpi-casablanca", Location: time.FixedZone("+01", 3600)}
	doc, err := receipt.Request(ma, "fr", k, r, receipt.Fee{Paid: true, Method: "card_terminal"})
	if err != nil {
		panic(err)
	}
	for _, b := range doc.Blocks[:12] {
		switch b.Kind {
		case receipt.Row:
			fmt.Printf("%s: %s\n", b.Text, b.Value)
		case receipt.Heading, receipt.Paragraph:
			fmt.Println(b.Text)
		}
	}
	fmt.Println(doc.QRPayloads())
	// Output:
	// Royaume du Maroc
	// Ministère de la Justice
	// Récépissé de dépôt de demande
	// Service: Casier judiciaire (bulletin n° 3)
	// Numéro de suivi
	// 3G33-XKDE-NM3M
	// Date et heure: 12/05/2026 14:05
	// Borne: ma-casa-01
	// Déposée à: Tribunal de première instance de Casablanca
	// Retrait au: Tribunal de première instance de Fès
	// [https://suivi.justice.gov.ma/t/3G33XKDENM3M]
}
