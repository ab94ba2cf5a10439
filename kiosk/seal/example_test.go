package seal_test

import (
	"fmt"
	"log"

	"guichet/kiosk/seal"
)

func Example() {
	// The registry generates its key pair once; the kiosk receives only the
	// public key at enrolment.
	registry, err := seal.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}

	// On the kiosk: seal the form's personal fields to the registry.
	sealed, err := seal.Seal(registry.Public(), "req-fes-0007", []byte("CIN AB123456; father Ahmed"))
	if err != nil {
		log.Fatal(err)
	}

	// At the registry: open it, for that request only.
	personal, err := seal.Open(registry, "req-fes-0007", sealed)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(personal))

	_, err = seal.Open(registry, "req-fes-0008", sealed)
	fmt.Println(err)
	// Output:
	// CIN AB123456; father Ahmed
	// seal: authentication failed (wrong request id or altered envelope)
}
