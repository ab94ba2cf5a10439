package pack

import (
	"strconv"
	"strings"
)

// nbsp separates the amount from its symbol so that a line break never
// splits them on screen or on the receipt.
const nbsp = "\u00a0"

// Format writes an amount given in minor units ("20,00 DH" in French for
// 2000 MAD minor units, "500 F CFA" for 500 XOF). For a language without a
// format it writes the ISO code first with a full stop: "MAD 20.00".
func (c Currency) Format(minor int64, lang string) string {
	f, ok := c.Formats[lang]
	if !ok {
		f = CurrencyFormat{Symbol: c.Code, Decimal: ".", Group: ",", SymbolFirst: true}
	}
	neg := minor < 0
	abs := uint64(minor)
	if neg {
		abs = -abs // two's complement: right even for math.MinInt64
	}
	digits := min(max(c.MinorUnits, 0), 9) // validated packs use 0 to 4
	var unit uint64 = 1
	for range digits {
		unit *= 10
	}
	var b strings.Builder
	if neg {
		b.WriteString("-")
	}
	whole := strconv.FormatUint(abs/unit, 10)
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(f.Group)
		}
		b.WriteRune(d)
	}
	if digits > 0 {
		frac := strconv.FormatUint(abs%unit, 10)
		b.WriteString(f.Decimal)
		b.WriteString(strings.Repeat("0", digits-len(frac)))
		b.WriteString(frac)
	}
	if f.SymbolFirst {
		return f.Symbol + nbsp + b.String()
	}
	return b.String() + nbsp + f.Symbol
}
