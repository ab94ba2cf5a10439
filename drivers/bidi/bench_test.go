package bidi

import "testing"

// receiptLine is a typical line of an Arabic receipt: words, an isolated
// tracking number, brackets and an amount.
var receiptLine = "رقم التتبع \u2066K7MX-4HQ9-XR33\u2069 (السجل العدلي) – المبلغ \u206820,00 DH\u2069"

func BenchmarkVisual(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(receiptLine)))
	for b.Loop() {
		Visual(receiptLine, Auto)
	}
}

func BenchmarkVisualRuns(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(receiptLine)))
	for b.Loop() {
		VisualRuns(receiptLine, Auto)
	}
}

func BenchmarkVisualFrench(b *testing.B) {
	line := "Casier judiciaire – n° \u2068K7MX-4HQ9-XR33\u2069 – 20,00 DH"
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		Visual(line, Auto)
	}
}
