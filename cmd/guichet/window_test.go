package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"guichet/kiosk/flow"
	"guichet/kiosk/flow/flowtest"
	"guichet/kiosk/form"
	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/kiosk/seal"
	"guichet/kiosk/store"
	"guichet/ui"
)

var update = flag.Bool("update", false, "save the real-window screenshots to docs/screenshots")

// screenshotDir is where -update saves the screenshots the README shows.
const screenshotDir = "../../docs/screenshots"

// panel is the reference kiosk screen: a 15.6" 1280×800 touchscreen.
var panel = image.Pt(1280, 800)

// TestRealWindow runs the real kiosk binary full-screen in a real X server
// (Xvfb) with guichet-devsim's emulated peripherals, and walks it as a
// citizen would with xdotool: touch to start, choose a language, choose the
// bulletin n°3, accept the privacy notice, present the ID card (inserted
// through devsim's socket), type the missing values on the on-screen
// keyboards (and, in French, on a hardware keyboard), choose the
// collection court, review, pay on the emulated terminal, and get the
// "accepted" screen. The receipt must come out of the emulated printer and
// the request must be in the kiosk's store, sealed with exactly what was
// typed. Tamazight and English go as far as the ID card screen.
//
// Every frame is read back with xwd and compared with the oracle (the same
// flow and ui in Fyne's test driver): each button's fill where the oracle
// draws it. Taps wait on the kiosk's `screen` log lines and on the frame,
// never on a fixed delay, and a tap the kiosk did not see is repeated.
// With -update the screenshots go to docs/screenshots.
func TestRealWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiosk with cgo and drives it under Xvfb")
	}
	requireTools(t, "Xvfb", "xwd", "xdotool")
	kioskBin, devsimBin := binaries(t)
	x := startXvfb(t, panel)
	p, err := pack.Embedded("ma")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang  string
		whole bool // the whole bulletin n°3 request, not only up to the card
		// hardware types the Latin values with xdotool's keyboard
		// instead of tapping the on-screen keys.
		hardware bool
	}{
		{lang: "ar", whole: true},
		{lang: "fr", whole: true, hardware: true},
		{lang: "zgh"},
		{lang: "en"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			dir := t.TempDir()
			devDir := filepath.Join(dir, "dev")
			if err := os.Mkdir(devDir, 0o755); err != nil {
				t.Fatal(err)
			}
			dev := startDevsim(t, devsimBin, devDir)
			if _, err := dev.exec(ctx, "pay approve"); err != nil {
				t.Fatal(err)
			}
			data := filepath.Join(dir, "data")
			kp := startKiosk(t, x, kioskBin, data, dev, "-fullscreen")
			j := newJourney(ctx, t, x, dev, kp, p, tc.lang)
			j.start()

			j.tap(flow.TapStart)
			j.tap(flow.PrefixLanguage + tc.lang)
			j.shot("services")
			j.tap(flow.PrefixService + "bulletin3")
			j.tap(flow.TapNext)
			j.shot("privacy")
			j.tap(flow.TapAccept)
			if !tc.whole {
				j.want(flow.KindScanCard)
				j.saveShots()
				return
			}
			j.insertCard("cnie")
			typed, court := j.fillForm("bulletin3", tc.hardware)
			j.want(flow.KindReview)
			j.shot("review")
			j.tap(flow.TapSubmit)
			j.want(flow.KindPayMethod)
			j.tap(flow.PrefixMethod + "card_terminal")
			j.want(flow.KindDone)
			j.shot("accepted")
			j.saveShots()
			j.checkReceipt()
			j.tap(flow.TapFinish)
			j.want(flow.KindAttract)

			if err := kp.stop(); err != nil {
				t.Errorf("the kiosk did not stop cleanly: %v\n%s", err, tail(kp.log.text(), 20))
			}
			checkStored(t, data, p, tc.lang, typed, court)
		})
	}
}

// journey drives one kiosk through xdotool, in step with its oracle.
type journey struct {
	ctx  context.Context
	t    *testing.T
	x    *xserver
	dev  *devsim
	kp   *kioskProc
	p    *pack.Pack
	o    *oracle
	lang string

	frame *image.RGBA // the last settled frame, which matched the oracle
	shots map[string]*image.RGBA
	fails int
}

func newJourney(ctx context.Context, t *testing.T, x *xserver, dev *devsim, kp *kioskProc, p *pack.Pack, lang string) *journey {
	court, err := kioskCourt(p, "")
	if err != nil {
		t.Fatal(err)
	}
	return &journey{ctx: ctx, t: t, x: x, dev: dev, kp: kp, p: p, o: newOracle(t, p, court), lang: lang, shots: map[string]*image.RGBA{}}
}

// start waits for the kiosk's first screen, finds where its content stands
// on the screen, and checks that it covers the panel.
func (j *journey) start() {
	t := j.t
	if _, err := j.kp.log.waitLine(j.ctx, 0, func(s string) bool { return strings.Contains(s, "home screen is up") }); err != nil {
		t.Fatalf("no home screen: %v\n%s", err, tail(j.kp.log.text(), 30))
	}
	var win image.Rectangle
	for {
		var err error
		if win, err = j.x.window(j.ctx, "Guichet"); err == nil {
			break
		}
		if j.ctx.Err() != nil {
			t.Fatalf("no Guichet window: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	screen := image.Rectangle{Max: j.x.size}
	if win != screen {
		t.Errorf("the kiosk's window is %v on a %v screen: -fullscreen must cover the panel exactly", win, screen)
	}
	// Fyne pads a window's content by the theme's padding unless told
	// not to; find which of the two the real window does.
	pad := int(ui.Theme().Size(theme.SizeNamePadding))
	ctx, cancel := context.WithTimeout(j.ctx, stepTimeout)
	defer cancel()
	var whys []string
	for {
		img, err := j.x.screenshot(ctx)
		if err != nil {
			j.fail(nil, "the first screen never matched the oracle's attract screen: %v; %s", err, strings.Join(whys, "; "))
		}
		whys = whys[:0]
		for _, inset := range []int{0, pad} {
			j.o.place(win.Inset(inset))
			why := j.o.mismatch(img)
			if why == "" {
				if inset != 0 {
					t.Errorf("the kiosk's content stands %d px inside its window: the panel shows a %d px frame and the 1280×800 layout is cut on the right (the window is padded: cmd/guichet should call w.SetPadded(false))", inset, inset)
				}
				j.frame = j.settle(nil, 0, "the first screen")
				return
			}
			whys = append(whys, fmt.Sprintf("inset %d: %s", inset, why))
		}
		if ctx.Err() != nil {
			j.fail(img, "the first screen never matched the oracle's attract screen: %s", strings.Join(whys, "; "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tap taps a button or key of the screen shown, in the kiosk and in the
// oracle, and waits until the kiosk shows what the oracle shows.
func (j *journey) tap(id string) {
	j.t.Helper()
	b := j.o.button(id)
	if b == nil {
		j.fail(j.frame, "the %s screen shows no button %q", j.o.screen().Kind, id)
	}
	r := j.o.rect(b)
	at := image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
	// A space at the end of a value changes no pixel: the next key shows it.
	invisible := id == ui.KeySpace
	j.act(fmt.Sprintf("tap %q", id), func() error { return j.x.click(j.ctx, at) }, func() { test.Tap(b) }, step{retry: !invisible, mayStay: invisible})
}

// act does something to the kiosk (again, when retry is set, if the frame
// does not change within a few seconds: a tap lost on a loaded machine),
// mirrors it on the oracle, then waits for the kiosk's log to name the
// oracle's new screen and for a frame that matches the oracle's and has
// not changed for quiet.
func (j *journey) act(what string, real func() error, mirror func(), st step) {
	j.t.Helper()
	before, old := j.frame, j.o.screen()
	mark := j.kp.log.mark()
	began := time.Now()
	defer func() {
		j.t.Logf("%s: %s → %s in %v", what, old.Kind, j.o.screen().Kind, time.Since(began).Round(time.Millisecond))
	}()
	if err := real(); err != nil {
		j.fail(before, "%s: %v", what, err)
	}
	mirror()
	now := j.o.screen()
	for try := 1; ; try++ {
		if !st.retry || try == 3 || j.changed(before, 6*time.Second) {
			break
		}
		if now.Kind != old.Kind || now.Lang != old.Lang {
			if _, err := j.kp.log.waitLine(j.ctx, mark, func(s string) bool { _, _, ok := screenOf(s); return ok }); err == nil {
				break // the kiosk moved on: only its frame is late
			}
		}
		j.t.Logf("%s: the screen did not change in 6 s; tapping again", what)
		if err := real(); err != nil {
			j.fail(before, "%s: %v", what, err)
		}
	}
	if now.Kind != old.Kind || now.Lang != old.Lang {
		if err := j.kp.log.waitScreen(j.ctx, mark, string(now.Kind), now.Lang); err != nil {
			j.fail(before, "%s: %v\n%s", what, err, tail(j.kp.log.text(), 15))
		}
	}
	if st.mayStay {
		before = nil
	}
	j.frame = j.settle(before, st.quiet, what)
}

// step says how act waits.
type step struct {
	quiet   time.Duration // how long the frame must stay the same
	retry   bool          // do it again when nothing changes in 6 s (taps, not typing)
	mayStay bool          // the frame may not change at all
}

// changed polls the screen until it differs from before.
func (j *journey) changed(before *image.RGBA, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) && j.ctx.Err() == nil {
		img, err := j.x.screenshot(j.ctx)
		if err == nil && !samePixels(img, before) {
			return true
		}
		time.Sleep(40 * time.Millisecond)
	}
	return false
}

// settle waits for a frame that differs from before (unless before is
// nil), stays the same for quiet (at least two captures in a row), is not
// blank, and matches the oracle.
func (j *journey) settle(before *image.RGBA, quiet time.Duration, what string) *image.RGBA {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.ctx, stepTimeout)
	defer cancel()
	var last *image.RGBA
	var since time.Time
	why := "the screen did not change"
	for {
		img, err := j.x.screenshot(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				j.fail(last, "%s: %v", what, err)
			}
		case before != nil && samePixels(img, before):
		case !samePixels(img, last):
			last, since = img, time.Now()
			why = "the screen kept changing"
		case time.Since(since) < quiet:
		default:
			if why = blankness(img); why != "" {
				break
			}
			if why = j.o.mismatch(img); why == "" {
				return img
			}
		}
		if ctx.Err() != nil {
			j.fail(last, "%s: no settled frame like the oracle's in %v: %s", what, stepTimeout, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stepTimeout bounds one step on a loaded machine.
const stepTimeout = 30 * time.Second

// want checks that the oracle (and so the kiosk) is on a screen of kind.
func (j *journey) want(kind flow.Kind) {
	j.t.Helper()
	if got := j.o.screen().Kind; got != kind {
		j.fail(j.frame, "on the %s screen, want %s (%v)", got, kind, j.o.screen().Lines)
	}
}

// insertCard puts one of devsim's sample cards on the ID-card reader.
func (j *journey) insertCard(name string) {
	j.t.Helper()
	card := sampleCard(j.t, j.p, name)
	j.act("insert card "+name, func() error {
		_, err := j.dev.exec(j.ctx, "card insert "+name)
		return err
	}, func() { j.o.flow.CardRead(card) }, step{})
}

// fillForm fills the field screens of a service as the test citizen of
// flowtest does, and returns the values it typed by field id and the
// collection court it chose.
func (j *journey) fillForm(service string, hardware bool) (typed map[string]string, court string) {
	j.t.Helper()
	fm, ok := j.p.ServiceForm(service)
	if !ok {
		j.t.Fatalf("pack %s has no form for %s", j.p.Code, service)
	}
	typed = map[string]string{}
	for range 60 {
		s := j.o.screen()
		if s.Kind != flow.KindField {
			return typed, court
		}
		fv := s.Field
		fl, ok := fm.Field(fv.ID)
		if !ok {
			fl = form.Field{ID: fv.ID}
		}
		switch {
		case len(fv.Choices) > 0 && fv.Value == "":
			id := fv.Choices[0].ID
			for _, c := range fv.Choices {
				if c.ID == flow.PrefixChoice+"tpi-rabat" {
					id = c.ID
				}
			}
			j.shot("court")
			j.tap(id)
			court = strings.TrimPrefix(id, flow.PrefixChoice)
		case len(fv.Choices) == 0 && fv.Value == "" && (fv.Required || fl.Type != form.TypeText):
			v := flowtest.TypedValue(fl)
			if hardware && fv.Keyboard == flow.KeyboardLatin {
				j.typeOnKeyboard(v)
			} else {
				j.typeOnScreen(v)
			}
			typed[fv.ID] = v
			if len(typed) == 1 {
				j.shot("keyboard")
			}
		default:
			j.tap(flow.TapNext)
		}
	}
	j.t.Fatalf("still on the field screens after 60 steps")
	return nil, ""
}

// typeOnScreen types text on the on-screen keyboard, key by key, with the
// shift key for the other case and the layout keys for the other script.
func (j *journey) typeOnScreen(text string) {
	j.t.Helper()
	for _, c := range text {
		key := string(c)
		if j.o.button(key) == nil {
			j.findKey(key)
		}
		j.tap(key)
	}
}

// findKey brings up the keyboard with key on it: the other case, then each
// other layout in either case.
func (j *journey) findKey(key string) {
	j.t.Helper()
	if j.o.button(ui.KeyShift) != nil {
		if j.tap(ui.KeyShift); j.o.button(key) != nil {
			return
		}
	}
	var layouts []string
	for id := range j.o.k.Keys {
		if strings.HasPrefix(id, "layout:") {
			layouts = append(layouts, id)
		}
	}
	slices.Sort(layouts)
	for _, id := range layouts {
		if j.o.button(id) == nil {
			continue
		}
		if j.tap(id); j.o.button(key) != nil {
			return
		}
		if j.o.button(ui.KeyShift) != nil {
			if j.tap(ui.KeyShift); j.o.button(key) != nil {
				return
			}
		}
	}
	j.fail(j.frame, "no keyboard of field %s has a key %q", j.o.screen().Field.ID, key)
}

// typeOnKeyboard types text on the X server's keyboard into the field, as a
// technician's USB keyboard would: tap the field to focus it, then type.
func (j *journey) typeOnKeyboard(text string) {
	j.t.Helper()
	f := j.o.k.Field
	r := j.o.rect(f)
	at := image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
	if err := j.x.click(j.ctx, at); err != nil {
		j.fail(j.frame, "focus the field: %v", err)
	}
	test.Tap(f)
	// The focus does not change the frame: wait until the kiosk is idle
	// so that the first key reaches the focused field.
	j.act(fmt.Sprintf("type %d characters on the keyboard", len([]rune(text))),
		func() error { return j.x.typeText(j.ctx, text) },
		func() { test.Type(f, text) }, step{quiet: time.Second})
}

// shot keeps the settled frame under a name for -update.
func (j *journey) shot(name string) {
	j.shots[name] = j.frame
}

// saveShots writes the kept frames to docs/screenshots with -update.
func (j *journey) saveShots() {
	if !*update {
		return
	}
	for name, img := range j.shots {
		path := filepath.Join(screenshotDir, fmt.Sprintf("%s-%s-%s.png", j.p.Code, j.lang, name))
		if err := writePNG(path, img); err != nil {
			j.t.Fatal(err)
		}
		j.t.Logf("wrote %s", path)
	}
}

// checkReceipt waits for the receipt to come out of the emulated printer
// and checks that it has ink on it.
func (j *journey) checkReceipt() {
	j.t.Helper()
	pieces := regexp.MustCompile(`pieces=(\d+)`)
	for {
		out, err := j.dev.exec(j.ctx, "printer status")
		if err != nil {
			j.t.Fatalf("printer status: %v", err)
		}
		if m := pieces.FindStringSubmatch(out); m != nil {
			if n, _ := strconv.Atoi(m[1]); n == 1 {
				break
			} else if n > 1 {
				j.t.Fatalf("printer status: %s, want one receipt", out)
			}
		}
		if j.ctx.Err() != nil {
			j.t.Fatalf("no receipt came out of the printer: %s\n%s", out, tail(j.kp.log.text(), 15))
		}
		time.Sleep(200 * time.Millisecond)
	}
	dir := j.t.TempDir()
	out, err := j.dev.exec(j.ctx, "printer save "+dir)
	if err != nil {
		j.t.Fatalf("printer save: %v", err)
	}
	paths := strings.Fields(out)
	if len(paths) != 1 {
		j.t.Fatalf("printer save wrote %q, want one receipt", out)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		j.t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		j.t.Fatalf("receipt %s: %v", paths[0], err)
	}
	b, dark := img.Bounds(), 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r+g+bl < 3*0x8000 {
				dark++
			}
		}
	}
	if b.Dy() < 300 || dark*100 < b.Dx()*b.Dy() {
		j.t.Errorf("receipt %s is %v with %d dark dots: not a printed receipt", paths[0], b, dark)
	}
}

// fail saves the frame for the developer and stops the test.
func (j *journey) fail(img *image.RGBA, format string, args ...any) {
	j.t.Helper()
	msg := fmt.Sprintf(format, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range []string{"pay status", "printer status", "card list"} {
		out, err := j.dev.exec(ctx, c)
		msg += fmt.Sprintf("\ndevsim %s: %s %v", c, firstLine(out), err)
	}
	if img != nil {
		j.fails++
		path := filepath.Join(os.TempDir(), fmt.Sprintf("guichet-realwindow-%s-%d.png", j.lang, j.fails))
		if err := writePNG(path, img); err == nil {
			msg += "\n(the screen is in " + path + ")"
		}
	}
	j.t.Fatal(msg)
}

// checkStored opens the kiosk's store read-only after it stopped and checks
// that it holds exactly the request the citizen made: one bulletin n°3 for
// the chosen court, queued for the registry, paid on the terminal, its
// sealed personal data (opened with the development registry key) holding
// the card and exactly what was typed.
func checkStored(t *testing.T, data string, p *pack.Pack, lang string, typed map[string]string, court string) {
	t.Helper()
	st, err := store.Open(filepath.Join(data, storeFile), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out, err := st.PendingOutbox(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 {
		t.Fatalf("PendingOutbox() has %d entries, want 1", len(out))
	}
	e := out[0]
	svc, _ := p.Service("bulletin3")
	if e.Request.Service != "bulletin3" || e.Request.Court != court || e.Request.State != request.Queued || e.Request.Fee != svc.Fee {
		t.Errorf("stored request = %+v, want a queued bulletin3 for %s, fee %d", e.Request, court, svc.Fee)
	}
	keyHex, err := os.ReadFile(filepath.Join(data, devRegistryKey))
	if err != nil {
		t.Fatal(err)
	}
	keyBytes, err := hex.DecodeString(strings.TrimSpace(string(keyHex)))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := seal.ParsePrivateKey(keyBytes)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := seal.Open(priv, e.RequestID, e.Sealed)
	if err != nil {
		t.Fatalf("seal.Open: %v", err)
	}
	var personal struct {
		Service  string            `json:"service"`
		Language string            `json:"language"`
		Fields   map[string]string `json:"fields"`
		Card     map[string]string `json:"card"`
		Payment  struct {
			Method        string `json:"method"`
			Amount        int64  `json:"amount"`
			Authorisation string `json:"authorisation"`
		} `json:"payment"`
	}
	if err := json.Unmarshal(plain, &personal); err != nil {
		t.Fatalf("sealed payload: %v", err)
	}
	if personal.Service != "bulletin3" || personal.Language != lang {
		t.Errorf("sealed payload is for %s in %s, want bulletin3 in %s", personal.Service, personal.Language, lang)
	}
	fm, _ := p.ServiceForm("bulletin3")
	for id, v := range fm.Normalize(typed) {
		if got := personal.Fields[id]; got != v {
			t.Errorf("sealed field %s = %q, want %q (as typed)", id, got, v)
		}
	}
	var onCard bool
	for _, v := range personal.Card {
		onCard = onCard || v == "ZT0418273" // the cnie sample's document number
	}
	if !onCard {
		t.Errorf("sealed card data %v lacks the cnie sample's document number", personal.Card)
	}
	if personal.Payment.Method != "card_terminal" || personal.Payment.Amount != svc.Fee || personal.Payment.Authorisation == "" {
		t.Errorf("sealed payment = %+v, want an authorised card_terminal payment of %d", personal.Payment, svc.Fee)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
