package escpos_test

import (
	"fmt"

	"guichet/drivers/escpos"
	"guichet/drivers/escpos/escposdecode"
	"guichet/kiosk/receipt"
)

// A document with a French line and an Arabic one: the first goes as the
// printer's own text, the second as an image of the shaped line.
func ExampleRenderer_Render() {
	r, err := escpos.NewRenderer(escpos.Receipt80mm)
	if err != nil {
		panic(err)
	}
	doc := receipt.Document{Kind: receipt.KindTestPage, Lang: "fr", Blocks: []receipt.Block{
		{Kind: receipt.Heading, Text: "Reçu", Bold: true, Size: receipt.Large},
		{Kind: receipt.Paragraph, Text: "رقم التتبع: \u2066K7MX-4HQ9-XR3T\u2069", Lang: "ar", RTL: true},
		{Kind: receipt.Cut},
	}}
	job, err := r.Render(doc)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d text line, %d image line\n", job.Stats.NativeLines, job.Stats.RasterLines)
	fmt.Printf("starts % x\n", job.Chunks[0][:5])

	res, err := escposdecode.Decode(job.Bytes(), escpos.Receipt80mm.Dots)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", res.Lines[0].Text)
	// Output:
	// 1 text line, 1 image line
	// starts 1b 40 1b 74 10
	// "Reçu"
}

func ExampleDecodeAll() {
	// The answers to DLE EOT 1, 2, 3 and 4 of a printer out of paper.
	st, err := escpos.DecodeAll([4]byte{0x1A, 0x32, 0x12, 0x7E})
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Fault())
	fmt.Println(st)
	// Output:
	// paper_out
	// offline, stopped at paper end, paper near end, paper end
}
