package pack_test

import (
	"fmt"
	"strings"
	"time"

	"guichet/kiosk/pack"
)

func ExampleEmbedded() {
	p, err := pack.Embedded("ma")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _ := p.Service("bulletin3")
	fmt.Println(s.Title.In("fr"))
	fmt.Println(s.Title.In("ar"))
	fmt.Println(strings.ReplaceAll(p.FormatMoney(s.Fee, "fr"), "\u00a0", " "), "·", s.Delay())
	court, _ := p.Court("tpi-rabat")
	fmt.Println(court.Names.In("zgh"))
	fmt.Println(p.Message("zgh", "home.choose_language"))
	// Output:
	// Casier judiciaire (bulletin n° 3)
	// السجل العدلي (البطاقة رقم 3)
	// 20,00 DH · 24h0m0s
	// ⵍⵎⵃⴽⴰⵎⴰ ⵜⴰⵎⵣⵡⴰⵔⵓⵜ ⵏ ⵕⵕⴱⴰⵟ
	// ⵙⵜⵉ ⵜⵓⵜⵍⴰⵢⵜ
}

func ExampleLoad() {
	data, _ := pack.EmbeddedData("tg")
	broken := strings.Replace(string(data), `"tracking_qr_base": "https://`, `"tracking_qr_base": "http://`, 1)
	_, err := pack.Load("tg-v2.json", []byte(broken))
	fmt.Println(err)
	// Output:
	// pack: tg-v2.json: tracking_qr_base: must be an https URL, got scheme "http"
}

func ExamplePack_ServiceForm() {
	p, _ := pack.Embedded("ma")
	f, _ := p.ServiceForm("radar_fine")
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	errs := f.Validate(map[string]string{"pv_number": "1234-RF-1"}, now)
	for id, key := range errs {
		fmt.Printf("%s: %s\n", p.Message("fr", "field."+id), p.Message("fr", key))
	}
	// Output:
	// Numéro du procès-verbal (PV): Numéro de PV invalide (exemple : 12345678-RF-0001)
}

func ExampleCurrency_Format() {
	p, _ := pack.Embedded("tg")
	fmt.Println(strings.ReplaceAll(p.Currency.Format(1500, "fr"), "\u00a0", " "))
	// Output:
	// 1 500 F CFA
}
