// Package form describes the forms a citizen fills in at the kiosk (bulletin
// n°3 request, civil-status act order, radar-fine lookup, directory search,
// tracking, callback request) and checks what was typed or read from the card.
//
// A form is data: its fields, their types, whether they are required, their
// validation rules and where each value comes from (the ID card's MRZ, the
// on-screen keypad, a list, the receipt's QR code). Forms live in the country
// pack (package pack decodes them from JSON) because the field lists differ
// from one country to the next.
//
// Validation never returns prose. It returns, per field, a message key
// ("error.date_in_future") that the UI translates with the pack's messages;
// Form.Keys lists every key a form can produce or display, so the pack can
// refuse a form whose messages are missing in one of its languages.
//
// Before use, a form is bound to its pack (Form.Bind): that compiles the
// patterns, takes the pack's CIN pattern and resolves which courts and cities
// a list field offers. An unbound form still validates, with only its own
// rules (court and city fields then accept any well-formed identifier).
//
// Limits: dates are ISO 8601 calendar dates (2006-01-02) compared by calendar
// day in the location of the injected now; names are checked by script
// (Latin letters, or Arabic letters), not against a civil-status register; a
// tracking number is only checked for its alphabet and length here — its
// check character is verified by the tracking-number parser.
package form
