package pdfdoc_test

import (
	"bytes"
	"fmt"

	"guichet/drivers/pdfdoc"
	"guichet/kiosk/extract"
	"guichet/kiosk/extract/extracttest"
	"guichet/kiosk/pack"
)

func ExampleRender() {
	p, _ := pack.Embedded("ma")
	e, _ := extracttest.Sample(p) // a signed extract, verified by the caller
	doc, err := extract.Layout(e, p, "ar", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	pdf, err := pdfdoc.Render(doc, pdfdoc.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.HasPrefix(pdf, []byte("%PDF-")), len(pdf) > 10000)
	// Output: true true
}
