package flow

import (
	"guichet/kiosk/clock"
	"guichet/kiosk/form"
	"guichet/kiosk/pack"
	"guichet/kiosk/session"
	"guichet/kiosk/tracking"
)

// journeyKind is how a service's journey goes, chosen from its pack data.
type journeyKind int

const (
	journeyRequest   journeyKind = iota // a form, then submit (and pay)
	journeyFine                         // look up fines, pay one
	journeyDirectory                    // search the directory
	journeyTracking                     // a request's status, then perhaps collect
)

// state is everything the flow remembers between intents. Nothing personal:
// form values and card data live in the session.
type state struct {
	kind      Kind
	lang      string
	sess      *session.Session
	access    Access
	countdown *session.Event
	ended     bool // the attract screen says the last session ended idle
	paused    bool // an update is being activated: no session starts
	busy      bool
	working   string // message key of the work in progress
	keyWaits  bool   // the service key turned while busy
	epoch     uint64 // bumped at every session end: late results are dropped
	doneTimer clock.Timer

	conn    Connectivity
	printer PrinterState

	helpReturn Kind // the screen help returns to
	helpBusy   bool

	j    journey
	tech techState
}

// journey is the current service's progress.
type journey struct {
	service  pack.Service
	form     form.Form
	kind     journeyKind
	privacy  bool     // the notice was accepted
	cardRead bool     // a card prefilled the form
	steps    []string // ids of the fields asked, in order
	step     int
	editing  bool // a field opened from the review returns to it
	page     int  // of a list field or of results
	fieldErr string
	notice   *notice // a message on the current screen

	// Payment and submission.
	amount    int64
	method    pack.PaymentMethod
	requestID string
	payPhone  bool // the mobile-money phone step is showing
	paid      *Authorisation
	incident  bool

	// Results.
	tracking  tracking.Number
	printErr  string // message key of a print failure after commit
	receipt   ReceiptKind
	fines     []Fine
	fine      int // index of the chosen fine, -1 none
	dir       DirectoryPage
	dirOffset int
	tracked   *TrackedRequest
	collect   bool // the collection journey (card for an extract)

	// message screen
	msg *message
}

// notice is a message over a screen: a key and its values.
type notice struct {
	key  string
	args map[string]string
	role Role
}

// message is the KindMessage screen: a title, sentences, and what the
// buttons do.
type message struct {
	title   string
	lines   []notice
	buttons []msgButton
}

type msgButton struct {
	id, label string
	role      Role
	do        func(fx *effects)
}

func newState(f *Flow) state {
	s := state{kind: KindAttract, printer: PrinterOK}
	s.resetJourney()
	return s
}

func (s *state) resetJourney() {
	s.j = journey{fine: -1}
	s.busy = false
	s.helpReturn = ""
}
