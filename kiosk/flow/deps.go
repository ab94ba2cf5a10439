package flow

import (
	"context"
	"errors"
	"time"

	"guichet/kiosk/audit"
	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/kiosk/store"
	"guichet/kiosk/tracking"
)

// Errors the implementations of the flow's interfaces return (wrapped with
// %w) so that the citizen is told what to do. Any other error reads as the
// service being unavailable.
var (
	// ErrOffline: the registry cannot be reached (no network, timeout).
	ErrOffline = errors.New("flow: registry unreachable")
	// ErrNotFound: nothing matches (a tracking number, an extract).
	ErrNotFound = errors.New("flow: not found")
	// ErrNotReady: the extract exists but cannot be collected yet.
	ErrNotReady = errors.New("flow: not ready")
	// ErrIdentityMismatch: the card presented is not the requester's.
	ErrIdentityMismatch = errors.New("flow: identity does not match the request")
	// ErrSignatureInvalid: the fetched extract's signature does not verify.
	ErrSignatureInvalid = errors.New("flow: extract signature invalid")
	// ErrAlreadyDelivered: the extract was collected already.
	ErrAlreadyDelivered = errors.New("flow: already delivered")
	// ErrPaperOut: the printer has no paper.
	ErrPaperOut = errors.New("flow: printer out of paper")
	// ErrCoverOpen: the printer's cover is open.
	ErrCoverOpen = errors.New("flow: printer cover open")
	// ErrPrinterAbsent: the printer does not answer.
	ErrPrinterAbsent = errors.New("flow: printer absent")
	// ErrPaymentUnavailable: the terminal or provider cannot take a payment.
	ErrPaymentUnavailable = errors.New("flow: payment provider unavailable")
)

// Store is what the flow needs of kiosk/store.Store (which implements it).
type Store interface {
	// Submit commits a request and its sealed personal data (store.Submit).
	Submit(ctx context.Context, req request.Request, personal []byte) (request.Request, error)
	// Health gives the queue statistics and whether Submit is limited.
	Health() (store.Health, error)
	// RecordAudit appends to the audit chain.
	RecordAudit(ctx context.Context, actor audit.Actor, action, subject, detail string) (audit.Entry, error)
}

// PaymentProvider takes a payment through a certified card terminal or a
// mobile-money provider; the kiosk never sees card data, only the outcome.
// Pay blocks until the citizen has paid, refused or let it time out, or ctx
// ends (Config.PaymentTimeout). A nil error with Outcome TimedOut and an
// error wrapping context.DeadlineExceeded mean the same. Any other error
// (wrap ErrPaymentUnavailable) means nothing was charged and the method
// cannot be used now.
type PaymentProvider interface {
	Pay(ctx context.Context, p Payment) (Authorisation, error)
}

// Payment is one payment to take.
type Payment struct {
	Amount   int64  // in minor units of Currency
	Currency string // ISO 4217
	Method   pack.PaymentMethod
	// Reference is the request's idempotency key: a provider asked twice
	// with the same reference charges once.
	Reference string
	// Phone is the payer's mobile-money number (PayMobileMoney only).
	Phone string
}

// Outcome is how a payment ended.
type Outcome string

// The payment outcomes.
const (
	Approved Outcome = "approved"
	Declined Outcome = "declined"
	TimedOut Outcome = "timed_out"
)

// Authorisation is the provider's answer.
type Authorisation struct {
	Outcome Outcome
	// Code is the authorisation code printed on the receipt (Approved).
	Code string
	// ProviderRef is the provider's own transaction reference.
	ProviderRef string
}

// ReceiptKind says which paper the thermal printer gives the citizen.
type ReceiptKind string

// The receipts the flow prints.
const (
	ReceiptRequest     ReceiptKind = "request"      // a filed request (law 55-19), paid at the kiosk or free
	ReceiptCounterSlip ReceiptKind = "counter_slip" // a filed request to pay at the court's cash desk
	ReceiptCallback    ReceiptKind = "callback"     // a callback request's ticket
	// ReceiptPaymentIncident: the payment was taken but the request could
	// not be recorded; the slip carries the authorisation for the counter.
	ReceiptPaymentIncident ReceiptKind = "payment_incident"
)

// Receipt is what a receipt says; the printer lays it out in the pack's
// receipt languages. It carries no personal data beyond what the receipt
// prints (none: the tracking number stands for the request).
type Receipt struct {
	Kind     ReceiptKind
	Tracking tracking.Number // empty for ReceiptPaymentIncident
	Service  string          // pack service id
	Court    string          // collection court id, or ""
	Amount   int64           // paid or due, minor units
	Currency string
	// Method is the payment method id ("" when free).
	Method string
	// Authorisation is the payment's authorisation code ("" unless paid).
	Authorisation string
	// Reference is the request id the payment was taken for.
	Reference string
	// Lang is the session's language (the receipt may add it to the pack's
	// receipt languages).
	Lang string
	At   time.Time
}

// ReceiptPrinter prints a receipt on the thermal printer. Errors should wrap
// ErrPaperOut, ErrCoverOpen or ErrPrinterAbsent when they are that.
type ReceiptPrinter interface {
	PrintReceipt(ctx context.Context, r Receipt) error
}

// ReceiptReprinter is a ReceiptPrinter that can print again, marked as a
// duplicate, the receipt of an earlier request: what a citizen whose receipt
// did not come out (paper out) asks for by scanning or typing the tracking
// number. Errors as for ReceiptPrinter; ErrNotFound when the kiosk printed no
// receipt for that number, ErrNotReady while the original still waits to
// print.
type ReceiptReprinter interface {
	ReprintReceipt(ctx context.Context, n tracking.Number) error
}

// FineQuery looks fines up by national number or by PV number (one is set).
type FineQuery struct {
	NationalNumber string
	PVNumber       string // canonical: 12345678-RF-2024
}

// Fine is one unpaid fine with a judgment.
type Fine struct {
	PVNumber string
	Amount   int64 // minor units of the pack's currency
	// Date is the offence's date; Place where the radar stands (as given
	// by the registry, in its language).
	Date  time.Time
	Place string
	Court string // pack court id of the judgment, or ""
}

// FineLookup asks the registry for unpaid fines. ErrOffline when it cannot.
type FineLookup interface {
	Lookup(ctx context.Context, q FineQuery) ([]Fine, error)
}

// DirectoryQuery filters the directory of justice professionals; empty
// fields do not filter.
type DirectoryQuery struct {
	Profession string // choice value: lawyer, notary, adoul, …
	City       string // pack city id
	Name       string // part of a name, in any script
	Language   string // ISO 639 code spoken
}

// Professional is one entry of the directory (public reference data).
type Professional struct {
	NameLatin, NameArabic string
	Profession            string // choice value
	Registration          string // registration number and bar or order
	City                  string // pack city id
	Address               string
	Phone                 string
	Languages             []string
	Status                string // active, suspended, struck_off
	UpdatedAt             time.Time
}

// DirectoryPage is one page of results.
type DirectoryPage struct {
	Entries []Professional
	Total   int
	// SyncedAt is when the directory data was last synced from the registry.
	SyncedAt time.Time
}

// Directory searches the reference data synced from the registry; it works
// offline.
type Directory interface {
	Search(ctx context.Context, q DirectoryQuery, offset, limit int) (DirectoryPage, error)
}

// Source says where a tracking answer came from.
type Source string

// The sources of a tracking answer.
const (
	FromLocal    Source = "local"    // this kiosk's store (kept fresh by the change feed)
	FromRegistry Source = "registry" // asked from the registry just now
)

// TrackedRequest is a request's status as the kiosk knows it.
type TrackedRequest struct {
	Request request.Request // no personal data
	Source  Source
	// SyncedAt is when the local data was last brought up to date with the
	// registry (FromLocal), or when the registry answered (FromRegistry).
	SyncedAt time.Time
}

// Tracker finds a request by its tracking number: the local store first,
// then the registry. ErrNotFound when neither knows it, ErrOffline when the
// local store does not and the registry cannot be asked.
type Tracker interface {
	Track(ctx context.Context, n tracking.Number) (TrackedRequest, error)
}

// Holder is the proof of identity presented to collect an extract: read
// from the card, compared by the fetcher with the request's sealed data.
type Holder struct {
	NationalNumber string
	DocumentNumber string
	BirthDate      string // 2006-01-02
	// Lang is the citizen's language at the kiosk: the extract is laid out
	// in it where the pack has the extract's words in it.
	Lang string
}

// Extract is a signed extract ready to print.
type Extract struct {
	Tracking tracking.Number
	// Document is what the laser printer takes (PDF or PWG raster).
	Document    []byte
	ContentType string
	Pages       int
}

// ExtractFetcher fetches a ready extract from the registry and verifies its
// signature (ErrSignatureInvalid), after checking the holder
// (ErrIdentityMismatch, ErrNotReady, ErrAlreadyDelivered, ErrNotFound,
// ErrOffline). Delivered records the delivery once printed.
type ExtractFetcher interface {
	Fetch(ctx context.Context, n tracking.Number, h Holder) (Extract, error)
	Delivered(ctx context.Context, n tracking.Number) error
}

// DocumentPrinter prints an extract on the laser printer (errors as for
// ReceiptPrinter).
type DocumentPrinter interface {
	PrintDocument(ctx context.Context, e Extract) error
}

// Speaker says a sentence aloud in a language ("ar", "fr"). It must not
// block: the implementation queues, and drops what it cannot say (no
// voice, no speech engine). Stop silences it (the session ended).
type Speaker interface {
	Say(lang, text string)
	Stop()
}

// PeripheralHealth is one device as the technician screen shows it.
type PeripheralHealth struct {
	Name   string // idscan, qrscan, receipt, laser, gpio, payment
	OK     bool
	State  string // connected, reconnecting, failed, paper_low, …
	Detail string // what to do, for a technician
	Since  time.Time
}

// RegistryStatus is the link to the registry.
type RegistryStatus struct {
	Online   bool
	LastSync time.Time // last successful exchange; zero if never
	Detail   string    // the last error, for a technician
	Address  string
}

// Enrolment is the kiosk's enrolment with the registry.
type Enrolment struct {
	Enrolled bool
	KioskID  string
	Court    string // pack court id
	Expires  time.Time
	Detail   string
}

// Technician gives the technician screen what it shows and does. Its
// methods may block briefly (ctx carries Config.TechnicianTimeout).
type Technician interface {
	Peripherals(ctx context.Context) []PeripheralHealth
	Registry(ctx context.Context) RegistryStatus
	Enrolment(ctx context.Context) Enrolment
	// TestPrint prints the printer's test page.
	TestPrint(ctx context.Context) error
	// ArmTestScan readies the code reader (and the card reader) for a test
	// read: the next Scanned or Card goes to the technician screen.
	ArmTestScan(ctx context.Context) error
}

// TicketEnroller is a Technician that enrols the kiosk with an enrolment
// ticket scanned on the technician screen (the QR code operations show in
// the console): IsTicket recognises one, Enrol checks it and enrols, and
// returns the new enrolment.
type TicketEnroller interface {
	IsTicket(payload string) bool
	Enrol(ctx context.Context, ticket string) (Enrolment, error)
}

// PrinterState is the thermal printer's state for the status strip.
type PrinterState string

// The printer states.
const (
	PrinterOK       PrinterState = "ok"
	PrinterPaperLow PrinterState = "paper_low"
	PrinterPaperOut PrinterState = "paper_out"
	PrinterFault    PrinterState = "fault"
)

// Connectivity is the registry link for the status strip.
type Connectivity struct {
	Online   bool
	LastSync time.Time // zero: never synced
}
