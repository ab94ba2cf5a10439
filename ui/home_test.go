package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"guichet/kiosk/pack"
)

func newTestKiosk(t *testing.T, code string) (*Kiosk, *pack.Pack) {
	t.Helper()
	test.NewTempApp(t)
	p, err := pack.Embedded(code)
	if err != nil {
		t.Fatalf("pack.Embedded(%q): %v", code, err)
	}
	k := New(p)
	w := test.NewTempWindow(t, k.Content())
	w.Resize(fyne.NewSize(1280, 800))
	return k, p
}

func TestHomeOffersEveryLanguageOfThePack(t *testing.T) {
	for _, code := range pack.EmbeddedCodes() {
		t.Run(code, func(t *testing.T) {
			k, p := newTestKiosk(t, code)
			if got, want := k.Screen(), ScreenLanguages; got != want {
				t.Fatalf("Screen() = %q, want %q", got, want)
			}
			if got, want := len(k.LanguageButtons), len(p.Languages); got != want {
				t.Fatalf("%d language buttons, want %d", got, want)
			}
			for _, l := range p.Languages {
				b := k.LanguageButtons[l.Code]
				if b == nil {
					t.Fatalf("no button for language %s", l.Code)
				}
				if b.Text != l.Autonym {
					t.Errorf("button for %s reads %q, want its autonym %q", l.Code, b.Text, l.Autonym)
				}
			}
		})
	}
}

func TestLanguageThenServices(t *testing.T) {
	for _, code := range pack.EmbeddedCodes() {
		p, err := pack.Embedded(code)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range p.Languages {
			t.Run(code+"/"+l.Code, func(t *testing.T) {
				k, p := newTestKiosk(t, code)
				test.Tap(k.LanguageButtons[l.Code])
				if got, want := k.Screen(), ScreenServices; got != want {
					t.Fatalf("after tapping %s: Screen() = %q, want %q", l.Code, got, want)
				}
				if got := k.Language(); got != l.Code {
					t.Fatalf("Language() = %q, want %q", got, l.Code)
				}
				if got, want := k.Heading.Text, p.Message(l.Code, "home.choose_service"); got != want {
					t.Errorf("heading = %q, want %q", got, want)
				}
				if got, want := len(k.ServiceButtons), len(p.Services); got != want {
					t.Fatalf("%d service buttons, want %d", got, want)
				}
				for _, s := range p.Services {
					if got, want := k.ServiceButtons[s.ID].Text, s.Title.In(l.Code); got != want {
						t.Errorf("service %s reads %q, want %q", s.ID, got, want)
					}
				}

				first := p.Services[0]
				test.Tap(k.ServiceButtons[first.ID])
				if got, want := k.Screen(), ScreenService; got != want {
					t.Fatalf("after tapping %s: Screen() = %q, want %q", first.ID, got, want)
				}
				if got, want := k.Heading.Text, first.Title.In(l.Code); got != want {
					t.Errorf("service heading = %q, want %q", got, want)
				}

				test.Tap(k.BackButton)
				if got, want := k.Screen(), ScreenServices; got != want {
					t.Fatalf("back from a service: Screen() = %q, want %q", got, want)
				}
				test.Tap(k.BackButton)
				if got, want := k.Screen(), ScreenLanguages; got != want {
					t.Fatalf("back from services: Screen() = %q, want %q", got, want)
				}
				if k.Language() != "" {
					t.Errorf("Language() = %q after going home, want none", k.Language())
				}
			})
		}
	}
}

func TestRightToLeftMirrorsRows(t *testing.T) {
	items := []fyne.CanvasObject{widget.NewLabel("1"), widget.NewLabel("2"), widget.NewLabel("3")}
	got := mirrorRows(items, 2, true)
	if len(got) != 4 {
		t.Fatalf("mirrorRows gave %d cells, want 4", len(got))
	}
	want := []string{"2", "1", "", "3"}
	for i, w := range want {
		l, ok := got[i].(*widget.Label)
		switch {
		case w == "" && ok:
			t.Errorf("cell %d = label %q, want the padding", i, l.Text)
		case w != "" && (!ok || l.Text != w):
			t.Errorf("cell %d is not label %q", i, w)
		}
	}
	if ltr := mirrorRows(items, 2, false); len(ltr) != 3 || ltr[0] != items[0] {
		t.Errorf("mirrorRows(ltr) changed the order")
	}
}
