package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"

	"guichet/drivers/bidi"
	"guichet/kiosk/flow"
)

// The on-screen keyboards. Each row is typed as shown; the Latin rows are
// AZERTY, as on the French keyboards Moroccan and Togolese users know, with
// the accented capitals French names take; the Arabic rows follow the
// standard Arabic layout (ض at the Q key).
var keyRows = map[flow.Keyboard][][]string{
	flow.KeyboardLatin: {
		{"A", "Z", "E", "R", "T", "Y", "U", "I", "O", "P"},
		{"Q", "S", "D", "F", "G", "H", "J", "K", "L", "M"},
		{"W", "X", "C", "V", "B", "N", "'", "-", "Ï", "Ô"},
		{"À", "Ç", "É", "È", "Ê"},
	},
	flow.KeyboardArabic: {
		{"ض", "ص", "ث", "ق", "ف", "غ", "ع", "ه", "خ", "ح", "ج", "د"},
		{"ش", "س", "ي", "ب", "ل", "ا", "ت", "ن", "م", "ك", "ط", "ذ"},
		{"ئ", "ء", "ؤ", "ر", "ى", "ة", "و", "ز", "ظ", "أ", "إ", "آ"},
		{},
	},
	flow.KeyboardDigits: {
		{"1", "2", "3"},
		{"4", "5", "6"},
		{"7", "8", "9"},
		{"0"},
	},
	flow.KeyboardPhone: {
		{"1", "2", "3"},
		{"4", "5", "6"},
		{"7", "8", "9"},
		{"+", "0"},
	},
	flow.KeyboardCode: {
		{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0"},
		{"A", "Z", "E", "R", "T", "Y", "U", "I", "O", "P"},
		{"Q", "S", "D", "F", "G", "H", "J", "K", "L", "M"},
		{"W", "X", "C", "V", "B", "N", "-"},
	},
}

// spaced are the layouts with a space bar.
var spaced = map[flow.Keyboard]bool{flow.KeyboardLatin: true, flow.KeyboardArabic: true}

// layoutLabels name the layouts on the switch keys, in their own script.
var layoutLabels = map[flow.Keyboard]string{
	flow.KeyboardLatin:  "ABC",
	flow.KeyboardArabic: "أ ب ت",
	flow.KeyboardDigits: "123",
	flow.KeyboardPhone:  "123",
	flow.KeyboardCode:   "A1",
}

// Key ids of the keyboard's own keys (Kiosk.Keys): a letter's id is the
// letter itself.
const (
	KeySpace  = " "
	KeyShift  = "key.shift"
	keyLayout = "layout:"
)

// keyboard builds the keyboard for a field; kb is the layout shown. Keys
// type into the field through the flow; erase and clear are the flow's
// buttons; shift and the layout switches are the UI's own. Every layout
// keeps to four rows, the control keys ending the last one, so that the
// keyboard fits above the navigation bar.
func (k *Kiosk) keyboard(fv *flow.FieldView, kb flow.Keyboard) fyne.CanvasObject {
	p, sz := k.palette(), k.sizes()
	target := k.target()
	keySize := fyne.NewSize(max(target, 76), target)
	rows := keyRows[kb]
	lower := k.shift && kb == flow.KeyboardLatin
	grid := container.New(layout.NewCustomPaddedVBoxLayout(4))
	for i, row := range rows {
		line := container.New(layout.NewCustomPaddedHBoxLayout(4), layout.NewSpacer())
		last := i == len(rows)-1
		if last && kb == flow.KeyboardLatin {
			shift := NewButton(KeyShift, "", bidi.LTR, sz.key, p.secondary, p.secondaryText, keySize, func() {
				k.shift = !k.shift
				k.repaint()
			})
			shift.Icon, shift.IconColor = theme.MoveUpIcon(), k.iconColor(p.secondaryText)
			shift.Selected, shift.Border = k.shift, p.selected
			k.Keys[KeyShift] = shift
			line.Add(shift)
		}
		for _, c := range row {
			typed := c
			if lower {
				typed = strings.ToLower(c)
			}
			b := NewButton(typed, typed, bidi.Auto, sz.key, p.secondary, p.secondaryText, keySize, func() { k.flow.Type(fv.ID, typed) })
			k.Keys[typed] = b
			line.Add(b)
		}
		if last {
			k.controls(line, fv, kb, keySize)
		}
		line.Add(layout.NewSpacer())
		grid.Add(line)
	}
	return grid
}

// controls adds the space bar, the layout switches, erase and clear.
func (k *Kiosk) controls(line *fyne.Container, fv *flow.FieldView, kb flow.Keyboard, keySize fyne.Size) {
	p, sz := k.palette(), k.sizes()
	if spaced[kb] {
		space := NewButton(KeySpace, "", bidi.LTR, sz.key, p.secondary, p.secondaryText, fyne.NewSize(keySize.Width*3, keySize.Height), func() { k.flow.Type(fv.ID, " ") })
		k.Keys[KeySpace] = space
		line.Add(space)
	}
	for _, other := range fv.Keyboards {
		if other == kb || len(fv.Keyboards) < 2 {
			continue
		}
		sw := NewButton(keyLayout+string(other), layoutLabels[other], bidi.Auto, sz.button, p.secondary, p.secondaryText, fyne.NewSize(keySize.Width*1.3, keySize.Height), func() {
			k.layoutFor[fv.ID] = other
			k.repaint()
		})
		k.Keys[keyLayout+string(other)] = sw
		line.Add(sw)
	}
	erase := k.flowButton(flow.Button{ID: flow.TapErase, Role: flow.RoleSecondary}, fyne.NewSize(keySize.Width*1.3, keySize.Height))
	erase.Icon = theme.NavigateBackIcon()
	clear := k.flowButton(flow.Button{ID: flow.TapClear, Role: flow.RoleSecondary}, keySize)
	clear.Icon = theme.ContentClearIcon()
	line.Add(erase)
	line.Add(clear)
}
