package bidi_test

import (
	"fmt"

	"guichet/drivers/bidi"
)

// An identifier after Arabic words reads as written only when isolated.
func ExampleIsolate() {
	fmt.Println(bidi.Visual("رقم التتبع 2024-00123", bidi.Auto))
	fmt.Println(bidi.Visual("رقم التتبع "+bidi.Isolate("2024-00123"), bidi.Auto))
	// Output:
	// 00123-2024 عبتتلا مقر
	// 2024-00123 عبتتلا مقر
}

// A message template from a translation catalogue, filled in.
func ExampleSubstitute() {
	line, err := bidi.Substitute("المبلغ المؤدى: {amount}", map[string]string{"amount": "20,00 DH"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bidi.Visual(line, bidi.Auto))
	// Output:
	// 20,00 DH :ىدؤملا غلبملا
}

// Brackets are mirrored in right-to-left text.
func ExampleVisual() {
	fmt.Println(bidi.Visual("السجل العدلي (البطاقة رقم 3)", bidi.Auto))
	fmt.Println(bidi.Visual("Casier judiciaire (السجل العدلي)", bidi.Auto))
	// Output:
	// (3 مقر ةقاطبلا) يلدعلا لجسلا
	// Casier judiciaire (يلدعلا لجسلا)
}

// A renderer shapes each run in its direction and places the runs from the
// left.
func ExampleVisualRuns() {
	line := "رقم التتبع " + bidi.Isolate("K7MX-4HQ9-XR33")
	for _, run := range bidi.VisualRuns(line, bidi.Auto) {
		fmt.Printf("%q rtl=%v bytes %d–%d\n", run.Text, run.RTL, run.Start, run.End)
	}
	// Output:
	// "K7MX-4HQ9-XR33" rtl=false bytes 23–37
	// "رقم التتبع " rtl=true bytes 0–20
}

func ExampleLevels() {
	levels, paraLevel := bidi.Levels([]rune("ب 12"), bidi.Auto)
	fmt.Println(levels, paraLevel)
	// Output:
	// [1 1 2 2] 1
}

// A renderer wraps a paragraph where its widths say, then orders each line.
func ExampleVisualLines() {
	text := "المحامي Karim El Amrani بالرباط"
	lines, err := bidi.VisualLines(text, bidi.Auto, []int{len("المحامي Karim ")})
	if err != nil {
		fmt.Println(err)
		return
	}
	for n, runs := range lines {
		for _, run := range runs {
			fmt.Printf("line %d: %q rtl=%v\n", n+1, run.Text, run.RTL)
		}
	}
	// Output:
	// line 1: " " rtl=true
	// line 1: "Karim" rtl=false
	// line 1: "المحامي " rtl=true
	// line 2: " بالرباط" rtl=true
	// line 2: "El Amrani" rtl=false
}
