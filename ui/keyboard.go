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
		{"W", "X", "C", "V", "B", "N", "'", "-", "É", "È"},
		{"À", "Ç", "Ê", "Ï", "Ô", "Ù", ",", "."},
	},
	flow.KeyboardArabic: {
		{"ض", "ص", "ث", "ق", "ف", "غ", "ع", "ه", "خ", "ح", "ج", "د"},
		{"ش", "س", "ي", "ب", "ل", "ا", "ت", "ن", "م", "ك", "ط", "ذ"},
		{"ئ", "ء", "ؤ", "ر", "ى", "ة", "و", "ز", "ظ", "أ", "إ", "آ"},
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
// buttons; shift and the layout switches are the UI's own.
func (k *Kiosk) keyboard(fv *flow.FieldView, kb flow.Keyboard) fyne.CanvasObject {
	p, sz := k.palette(), k.sizes()
	target := k.target()
	keySize := fyne.NewSize(max(target, 78), max(target, 78))
	rows := keyRows[kb]
	lower := k.shift && kb == flow.KeyboardLatin
	grid := container.NewVBox()
	for _, row := range rows {
		line := container.NewHBox(layout.NewSpacer())
		for _, key := range row {
			typed := key
			if lower {
				typed = strings.ToLower(key)
			}
			b := NewButton(typed, typed, bidi.Auto, sz.key, p.secondary, p.secondaryText, keySize, func() { k.flow.Type(fv.ID, typed) })
			k.Keys[typed] = b
			line.Add(b)
		}
		line.Add(layout.NewSpacer())
		grid.Add(line)
	}
	controls := container.NewHBox(layout.NewSpacer())
	if kb == flow.KeyboardLatin {
		shift := NewButton(KeyShift, "", bidi.LTR, sz.key, p.secondary, p.secondaryText, keySize, func() {
			k.shift = !k.shift
			k.repaint()
		})
		shift.Icon = theme.MoveUpIcon()
		shift.Selected, shift.Border = k.shift, p.selected
		k.Keys[KeyShift] = shift
		controls.Add(shift)
	}
	if spaced[kb] {
		space := NewButton(KeySpace, "", bidi.LTR, sz.key, p.secondary, p.secondaryText, fyne.NewSize(keySize.Width*4, keySize.Height), func() { k.flow.Type(fv.ID, " ") })
		k.Keys[KeySpace] = space
		controls.Add(space)
	}
	for _, other := range fv.Keyboards {
		if other == kb || len(fv.Keyboards) < 2 {
			continue
		}
		sw := NewButton(keyLayout+string(other), layoutLabels[other], bidi.Auto, sz.button, p.secondary, p.secondaryText, fyne.NewSize(keySize.Width*1.5, keySize.Height), func() {
			k.layoutFor[fv.ID] = other
			k.repaint()
		})
		k.Keys[keyLayout+string(other)] = sw
		controls.Add(sw)
	}
	erase := k.flowButton(flow.Button{ID: flow.TapErase, Role: flow.RoleSecondary}, fyne.NewSize(keySize.Width*1.5, keySize.Height))
	erase.Icon = theme.NavigateBackIcon()
	clear := k.flowButton(flow.Button{ID: flow.TapClear, Role: flow.RoleSecondary}, keySize)
	clear.Icon = theme.ContentClearIcon()
	controls.Add(erase)
	controls.Add(clear)
	controls.Add(layout.NewSpacer())
	grid.Add(controls)
	return grid
}
