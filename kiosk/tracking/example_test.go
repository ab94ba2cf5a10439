package tracking_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"guichet/kiosk/tracking"
)

func ExampleParse() {
	// A citizen types the number from the receipt, in lower case, with a
	// letter O where the receipt has a 9.
	_, err := tracking.Parse("k7mx 4hqo xr33")
	var pe *tracking.Error
	if errors.Is(err, tracking.ErrCharacter) && errors.As(err, &pe) {
		fmt.Printf("character %d is not used on receipts\n", pe.Pos)
	}
	n, err := tracking.Parse("k7mx 4hq9 xr33")
	fmt.Println(n, err)
	// Output:
	// character 8 is not used on receipts
	// K7MX-4HQ9-XR33 <nil>
}

func ExampleGenerator() {
	now := func() time.Time { return time.Date(2026, time.March, 14, 9, 30, 0, 0, time.UTC) }
	g := tracking.NewGenerator("ma-casablanca-tpi-01", now, rand.NewChaCha8([32]byte{}))
	n := g.Next()
	fmt.Println(n.Valid(), n.KioskPrefix() == tracking.KioskPrefix("ma-casablanca-tpi-01"))
	fmt.Println(len(n.String()))
	// Output:
	// true true
	// 14
}

func ExampleNumber_QRPayload() {
	const base = "https://suivi.justice.ma/t/"
	n := tracking.Number("K7MX4HQ9XR33")
	payload := n.QRPayload(base)
	fmt.Println(payload)
	back, err := tracking.ParseQRPayload(base, payload+"\r\n")
	fmt.Println(back, err)
	// Output:
	// https://suivi.justice.ma/t/K7MX4HQ9XR33
	// K7MX-4HQ9-XR33 <nil>
}
