package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"guichet/kiosk/pack"
)

// Screen names the screen the kiosk shows.
type Screen string

const (
	ScreenLanguages Screen = "languages" // the home screen: pick a language
	ScreenServices  Screen = "services"  // the services of the country pack
	ScreenService   Screen = "service"   // one service: what it costs and takes
)

// Kiosk is the touchscreen application. Its widgets are fields so that tests
// reach them the way a finger would.
type Kiosk struct {
	pack   *pack.Pack
	lang   string
	screen Screen
	root   *fyne.Container

	LanguageButtons map[string]*widget.Button // on ScreenLanguages, by language code
	ServiceButtons  map[string]*widget.Button // on ScreenServices, by service id
	BackButton      *widget.Button            // on every screen but the first
	Heading         *widget.Label
}

// New builds the kiosk's screens for a country pack and shows the home screen.
func New(p *pack.Pack) *Kiosk {
	k := &Kiosk{pack: p, root: container.NewStack()}
	k.ShowLanguages()
	return k
}

// Content is the window's content; it never changes, the screens inside do.
func (k *Kiosk) Content() fyne.CanvasObject { return k.root }

// Screen reports which screen is showing.
func (k *Kiosk) Screen() Screen { return k.screen }

// Language is the language of the citizen's session, empty before a choice.
func (k *Kiosk) Language() string { return k.lang }

func (k *Kiosk) show(s Screen, content fyne.CanvasObject) {
	k.screen = s
	k.root.Objects = []fyne.CanvasObject{content}
	k.root.Refresh()
}

func (k *Kiosk) language(code string) pack.Language {
	for _, l := range k.pack.Languages {
		if l.Code == code {
			return l
		}
	}
	return pack.Language{Code: code, Script: "Latn"}
}

// inScript gives obj the fonts of a language's script, whatever the session's.
func inScript(l pack.Language, large bool, obj fyne.CanvasObject) fyne.CanvasObject {
	return container.NewThemeOverride(obj, kioskTheme{script: l.Script, large: large})
}

// ShowLanguages is the home screen: one large button per language of the pack,
// each labelled in its own script, under a greeting in every language.
func (k *Kiosk) ShowLanguages() {
	k.lang = ""
	k.LanguageButtons = map[string]*widget.Button{}
	k.ServiceButtons = nil
	k.BackButton = nil

	greetings := container.NewVBox()
	buttons := container.NewGridWithColumns(min(2, len(k.pack.Languages)))
	for _, l := range k.pack.Languages {
		g := widget.NewLabelWithStyle(k.pack.Message(l.Code, "home.choose_language"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		greetings.Add(inScript(l, false, g))

		b := widget.NewButton(l.Autonym, func() { k.ChooseLanguage(l.Code) })
		b.Importance = widget.HighImportance
		k.LanguageButtons[l.Code] = b
		buttons.Add(inScript(l, true, container.NewGridWrap(fyne.NewSize(420, 120), b)))
	}
	k.Heading = nil
	title := canvas.NewText("Guichet", theme.Color(theme.ColorNamePrimary))
	title.TextSize = 40
	title.Alignment = fyne.TextAlignCenter
	k.show(ScreenLanguages, container.NewBorder(
		container.NewVBox(title, greetings), nil, nil, nil,
		container.NewCenter(buttons)))
}

// ChooseLanguage starts the session in a language and shows the services.
func (k *Kiosk) ChooseLanguage(code string) {
	k.lang = code
	k.ShowServices()
}

// ShowServices lists the services the country pack offers, in the session's
// language, mirrored for right-to-left scripts.
func (k *Kiosk) ShowServices() {
	l := k.language(k.lang)
	k.ServiceButtons = map[string]*widget.Button{}
	var tiles []fyne.CanvasObject
	for _, s := range k.pack.Services {
		b := widget.NewButton(s.Title.In(k.lang), func() { k.ChooseService(s.ID) })
		k.ServiceButtons[s.ID] = b
		tiles = append(tiles, container.NewGridWrap(fyne.NewSize(520, 110), b))
	}
	const columns = 2
	grid := container.NewGridWithColumns(columns, mirrorRows(tiles, columns, l.RTL)...)
	k.Heading = widget.NewLabelWithStyle(k.pack.Message(k.lang, "home.choose_service"), alignFor(l), fyne.TextStyle{Bold: true})
	k.BackButton = widget.NewButtonWithIcon(k.pack.Message(k.lang, "nav.back"), backIcon(l), k.ShowLanguages)
	k.show(ScreenServices, inScript(l, false, container.NewBorder(
		k.Heading, navBar(l, k.BackButton), nil, nil,
		container.NewCenter(grid))))
}

// ChooseService shows what a service costs, how long it takes and what the
// citizen needs for it.
func (k *Kiosk) ChooseService(id string) {
	s, ok := k.pack.Service(id)
	if !ok {
		return
	}
	l := k.language(k.lang)
	k.Heading = widget.NewLabelWithStyle(s.Title.In(k.lang), alignFor(l), fyne.TextStyle{Bold: true})
	rows := container.NewVBox(k.Heading)
	if sum := s.Summary.In(k.lang); sum != "" {
		summary := widget.NewLabelWithStyle(sum, alignFor(l), fyne.TextStyle{})
		summary.Wrapping = fyne.TextWrapWord
		rows.Add(summary)
	}
	rows.Add(widget.NewLabelWithStyle(fmt.Sprintf("%s: %s", k.pack.Message(k.lang, "review.fee"), k.feeText(s)), alignFor(l), fyne.TextStyle{}))
	if s.DelayHours > 0 {
		rows.Add(widget.NewLabelWithStyle(fmt.Sprintf("%s: %d %s", k.pack.Message(k.lang, "review.delay"), s.DelayHours, k.pack.Message(k.lang, "unit.hours")), alignFor(l), fyne.TextStyle{}))
	}
	k.BackButton = widget.NewButtonWithIcon(k.pack.Message(k.lang, "nav.back"), backIcon(l), k.ShowServices)
	k.ServiceButtons = nil
	k.show(ScreenService, inScript(l, false, container.NewBorder(nil, navBar(l, k.BackButton), nil, nil, rows)))
}

// feeText says what a service costs the way its fee rule computes it.
func (k *Kiosk) feeText(s pack.Service) string {
	switch s.FeeRule {
	case pack.FeeFixed:
		return k.pack.FormatMoney(s.Fee, k.lang)
	case pack.FeePerCopy:
		return k.pack.FormatMoney(s.Fee, k.lang) + " " + k.pack.Message(k.lang, "fee.per_copy")
	case pack.FeeAssessed:
		return k.pack.Message(k.lang, "fee.assessed")
	}
	return k.pack.Message(k.lang, "fee.free")
}

func alignFor(l pack.Language) fyne.TextAlign {
	if l.RTL {
		return fyne.TextAlignTrailing
	}
	return fyne.TextAlignLeading
}

// backIcon points the way "back" goes in the script's reading direction.
func backIcon(l pack.Language) fyne.Resource {
	if l.RTL {
		return theme.NavigateNextIcon()
	}
	return theme.NavigateBackIcon()
}

// navBar puts the back button where a reader of the script starts a line.
func navBar(l pack.Language, back *widget.Button) fyne.CanvasObject {
	if l.RTL {
		return container.NewHBox(layout.NewSpacer(), back)
	}
	return container.NewHBox(back, layout.NewSpacer())
}

// mirrorRows reverses each row of a grid for right-to-left scripts, so the
// first item stands where an Arabic reader starts.
func mirrorRows(items []fyne.CanvasObject, columns int, rtl bool) []fyne.CanvasObject {
	if !rtl {
		return items
	}
	out := make([]fyne.CanvasObject, 0, len(items)+columns)
	for start := 0; start < len(items); start += columns {
		row := append([]fyne.CanvasObject(nil), items[start:min(start+columns, len(items))]...)
		for len(row) < columns {
			// pad a short last row so that, reversed, its items keep to the right
			row = append(row, layout.NewSpacer())
		}
		for i := len(row) - 1; i >= 0; i-- {
			out = append(out, row[i])
		}
	}
	return out
}
