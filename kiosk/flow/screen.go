package flow

// Kind names a screen.
type Kind string

// The screens.
const (
	KindAttract       Kind = "attract"        // welcome in every language; touch or presence wakes
	KindLanguage      Kind = "language"       // one button per language
	KindServices      Kind = "services"       // the pack's services
	KindServiceIntro  Kind = "service_intro"  // what a service costs and takes
	KindPrivacy       Kind = "privacy"        // law 09-08 notice, before any personal data
	KindScanCard      Kind = "scan_card"      // present the ID card
	KindField         Kind = "field"          // one field: keyboard or list
	KindReview        Kind = "review"         // every value, both scripts, and the fee
	KindPayMethod     Kind = "pay_method"     // choose how to pay
	KindPaying        Kind = "paying"         // follow the terminal / phone
	KindWorking       Kind = "working"        // submitting, looking up, printing: wait
	KindDone          Kind = "done"           // accepted: tracking number, take the receipt
	KindMessage       Kind = "message"        // something went wrong: what to do next
	KindFineLookup    Kind = "fine_lookup"    // scan the card, or type or scan the PV number
	KindFines         Kind = "fines"          // the fines found; pick one to pay
	KindDirectory     Kind = "directory"      // directory results, paged
	KindTrackingInput Kind = "tracking_input" // scan the receipt or type the number
	KindTracking      Kind = "tracking"       // a request's status and freshness
	KindCollectCard   Kind = "collect_card"   // collection: present the same ID card
	KindHelp          Kind = "help"           // call centre, callback
	KindTechPIN       Kind = "tech_pin"       // technician: PIN entry
	KindTechnician    Kind = "technician"     // technician: health, tests, queue
)

// Screen is the view-model of one screen: every text already in the
// session's language, in logical order, identifiers wrapped in directional
// isolates. The renderer lays it out (mirrored when RTL) and sends back the
// Button ids it shows as taps.
type Screen struct {
	Kind Kind
	// Lang is the session's language ("" on the attract and language
	// screens, where each text carries its own); RTL its direction.
	Lang string
	RTL  bool
	// Title is the screen's heading.
	Title string
	// Lines are the paragraphs under the title, in order.
	Lines []Line
	// Field is the field being filled (KindField, KindTechPIN, and the
	// typed alternative of KindFineLookup / KindTrackingInput).
	Field *FieldView
	// Rows are label/value pairs: review, fines, directory, tracking,
	// technician.
	Rows []Row
	// Buttons are the screen's actions in reading order (the first is
	// where a reader of the script starts); Back is the way back, if any.
	Buttons []Button
	Back    *Button
	// Paging is set when Rows or Field.Choices are one page of several.
	Paging *Paging
	// Toolbar is on every screen but attract: help, larger text, contrast,
	// speech, and the other languages (switching keeps the form).
	Toolbar []Button
	// Countdown is set while the idle warning shows.
	Countdown *Countdown
	Status    Status
	Access    Access
	// Accepts says which readers the screen takes input from, so that the
	// main can arm them: the ID card reader and the QR code reader.
	Accepts Accepts
	// Busy: a blocking operation runs; taps other than the toolbar are
	// ignored until it ends.
	Busy bool
	// Seq increases with every change, so a renderer can skip a repaint.
	Seq uint64
}

// Role says how a line or a button looks.
type Role string

// The roles.
const (
	RoleBody      Role = ""          // ordinary text
	RoleHeading   Role = "heading"   // a sub-heading
	RoleEmphasis  Role = "emphasis"  // the tracking number, an amount
	RoleError     Role = "error"     // what went wrong, and what to do
	RoleHint      Role = "hint"      // an example, a format
	RolePrimary   Role = "primary"   // the main action
	RoleSecondary Role = "secondary" // other actions
	RoleDanger    Role = "danger"    // cancel, decline
)

// Line is one paragraph. Lang is its language when it differs from the
// screen's (the attract screen greets in every language).
type Line struct {
	Text string
	Role Role
	Lang string
}

// Button is a tap target. ID is what Flow.Tap takes.
type Button struct {
	ID       string
	Label    string
	Role     Role
	Lang     string // when it differs from the screen's (language buttons)
	Disabled bool
	Selected bool // a toggle that is on, the chosen item of a list
}

// Row is one line of a table: a label and its value, and for the review the
// same in the pack's language of the other script (OtherLang).
type Row struct {
	Label      string
	Value      string
	OtherLang  string
	LabelOther string
	ValueOther string
	Role       Role
	// Edit is the button id that edits this value (review), or "".
	Edit string
}

// Keyboard is an on-screen keyboard layout.
type Keyboard string

// The layouts.
const (
	KeyboardNone   Keyboard = ""       // a list field: no keyboard
	KeyboardLatin  Keyboard = "latin"  // AZERTY letters, space, apostrophe, hyphen
	KeyboardArabic Keyboard = "arabic" // Arabic letters
	KeyboardDigits Keyboard = "digits" // 0–9
	KeyboardPhone  Keyboard = "phone"  // 0–9 and +
	KeyboardCode   Keyboard = "code"   // capital letters, digits and hyphen: CIN, PV, tracking
)

// FieldView is the field being filled.
type FieldView struct {
	ID       string
	Label    string
	Hint     string // an example or the format
	Value    string // as typed (personal: never logged)
	Error    string // what is wrong, translated, or ""
	Required bool
	// Keyboard is the layout to show first; Keyboards the layouts the
	// citizen may switch between (the first is Keyboard).
	Keyboard  Keyboard
	Keyboards []Keyboard
	// MaxLength bounds typing (characters).
	MaxLength int
	// Masked: show dots (the technician's PIN).
	Masked bool
	// Choices are a list field's items on the current page; their ids are
	// "choice:<value>".
	Choices []Button
}

// Paging is the page shown of a list.
type Paging struct {
	Page, Pages int // 1-based
	Prev, Next  Button
	Label       string // "2 / 5"
}

// Countdown is the idle warning over the current screen.
type Countdown struct {
	SecondsLeft int
	Text        string // "Are you still there?"
	// Extend is the "more time" button; nil when no extension is left.
	Extend *Button
}

// Status is the status strip.
type Status struct {
	// Lang is the language of its texts: the session's, or the pack's
	// default on the attract screen (which the strip is laid out for).
	Lang        string
	Online      bool
	OnlineText  string // "Online" or "Offline · last sync 14:02"
	Printer     PrinterState
	PrinterText string // "" when the printer is fine
	// QueueDepth shows only in technician mode; -1 otherwise.
	QueueDepth int
}

// Access are the accessibility settings of the session: larger text, high
// contrast, spoken guidance. They reset when the session ends.
type Access struct {
	LargeText    bool
	HighContrast bool
	Speech       bool
}

// Accepts says which readers a screen reads.
type Accepts struct {
	Card bool
	Code bool
}

// Button ids common to many screens.
const (
	TapStart        = "start"
	TapNext         = "next"
	TapBack         = "back"
	TapCancel       = "cancel"
	TapHelp         = "help"
	TapAccept       = "privacy.accept"
	TapDecline      = "privacy.decline"
	TapSubmit       = "submit"
	TapRetry        = "retry"
	TapFinish       = "finish"
	TapExtend       = "extend"
	TapPrevPage     = "page.prev"
	TapNextPage     = "page.next"
	TapErase        = "key.erase"
	TapClear        = "key.clear"
	TapSkip         = "skip"
	TapLargeText    = "access.large_text"
	TapHighContrast = "access.contrast"
	TapSpeech       = "access.speech"
	TapTypePV       = "fine.type_pv"
	TapTypeNumber   = "tracking.type"
	TapCollect      = "collect"
	TapReprint      = "receipt.reprint"
	TapCallback     = "callback"
	TapScanAgain    = "scan_again"

	// Prefixes of ids that carry a value.
	PrefixLanguage = "lang:"
	PrefixService  = "service:"
	PrefixChoice   = "choice:"
	PrefixEdit     = "edit:"
	PrefixMethod   = "method:"
	PrefixFine     = "fine:"

	// Technician mode.
	TapTechExit      = "tech.exit"
	TapTechRefresh   = "tech.refresh"
	TapTechTestPrint = "tech.test_print"
	TapTechTestScan  = "tech.test_scan"
)
