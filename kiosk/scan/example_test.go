package scan_test

import (
	"fmt"

	"guichet/kiosk/scan"
)

func ExampleClassify() {
	p := scan.Params{
		TrackingQRBase:   "https://suivi.justice.gov.ma/t/",
		VerificationBase: "https://verif.justice.gov.ma/v/",
	}
	for _, payload := range []string{
		"https://suivi.justice.gov.ma/t/K7MX4HQ9XR33", // an earlier receipt
		"https://suivi.justice.gov.ma/t/K7MX4HQ9XR34", // the same, one character misread
		"12345678-RF-2024\r\n",                        // a fine notice, with the scanner's suffix
		"https://verif.justice.gov.ma/v/K7MX4HQ9XR33.MFRGGZDFMZTWQ2LK",
		"https://www.example.org/",
	} {
		r := scan.Classify(payload, p)
		switch {
		case !r.OK():
			fmt.Println(r.Kind, "→", r.Message)
		case r.Kind == scan.FinePV:
			fmt.Println(r.Kind, r.FinePV)
		case r.Kind == scan.ExtractVerification:
			fmt.Println(r.Kind, r.Tracking, r.Signature)
		default:
			fmt.Println(r.Kind, r.Tracking)
		}
	}
	// Output:
	// tracking_number K7MX-4HQ9-XR33
	// tracking_number → scan.tracking_check_failed
	// fine_pv 12345678-RF-2024
	// extract_verification K7MX-4HQ9-XR33 MFRGGZDFMZTWQ2LK
	// unknown → scan.unknown_code
}
