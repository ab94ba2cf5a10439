// Package mrz reads and writes the machine-readable zone of identity
// documents (ICAO Doc 9303, 8th edition, parts 3 to 7): TD1 cards (3×30,
// the Moroccan CNIE), TD2 cards (2×36), TD3 passports (2×44) and the two
// visa layouts MRV-A (2×44) and MRV-B (2×36). It is pure: no I/O, and the
// clock is injected (Options.Now).
//
// Parse checks every check digit (document number, birth date, expiry date,
// TD3 personal number) and the composite one (TD1: line 1 from position 6,
// line 2 positions 1–7, 9–15, 19–29; TD2 and TD3: line 2 positions 1–10,
// 14–20, 22–35 or 22–43; visas have none). Each failed check is a FieldError
// naming the field and the reason (CodeCheckDigit, CodeCompositeCheck,
// CodeBadDate, CodeBadChar, CodeBadValue, CodeLength, CodeMissing). Nothing
// is ever corrected: an O where a 0 belongs stays an O and fails.
//
// Decisions where the standard leaves room:
//   - Only the shape says whether text is an MRZ: 3 lines of 30, or 2 of 36
//     or 44 bytes (ErrNotMRZ otherwise). A 2-line MRZ whose document code
//     starts with V is a visa. Split cuts reader output into lines.
//   - Two-digit years: a birth date is the latest one not after today (its
//     earliest possible day when parts are unknown); an expiry year falls in
//     [this year − 50, this year + 49], so in 2026 "12" is 2012 (an expired
//     card) and "75" is 2075.
//   - Unknown date parts (<< in the MRZ) are 0 in Date and print as XXXX or
//     XX ("1974-XX-XX"); a half-unknown part ("1<") is CodeBadDate; a date
//     that cannot be read at all prints as "".
//   - Long TD1 and TD2 document numbers (9303-5 and 9303-6, note j): a < in
//     place of the check digit, the rest of the number at the start of the
//     optional data, then its check digit, computed over the whole number
//     without the <, then a filler. OptionalData1 is what follows.
//   - An unused TD3 personal number may have 0 or < as its check digit.
//   - Sex is "M", "F", "X" or "" (the filler: unspecified).
//   - State codes are checked for shape only (letters, then fillers: "D<<"
//     is Germany, "UTO" the ICAO specimen state); which states the kiosk
//     serves is the country pack's business, not a parser's table.
//   - Names: without << the whole name is the primary identifier; "<<JOHN"
//     has no surname; a name filling its field to the last character is
//     marked NameTruncated. A leading filler or a doubled filler inside a
//     name part is CodeBadValue: such a name cannot be told from a misread.
//   - The national number (Options.NationalNumber, from the country pack;
//     for the CNIE most likely line 1 optional data, not confirmed) is read
//     only from a valid MRZ issued by one of Location.IssuingStates, and
//     only when it matches Location.Pattern; otherwise it is empty and no
//     error is added, so that a genuine card is never refused because a
//     country pack guessed wrong: the kiosk asks the citizen to type it.
//
// Format writes lines from a Document with every check digit computed, and
// checks its own output with Parse; for any valid MRZ m,
// Format(m.Document()) gives back m.Lines (FuzzParse holds it to that).
//
// Limits: no transliteration of names (Arabic, accents) — Format takes
// A–Z only; no national layouts outside ICAO 9303 (French ID 1988–2021,
// driving licences); no OCR confidence or error correction; no check that
// the birth date precedes the expiry date or that a validity period is
// plausible; the visa optional data is not interpreted.
//
// Cross-check: TestCrossCheckNPM compares 2,232 MRZs (800 generated valid,
// 1,400 mutated, the 32 of the table)
// with the npm package mrz 5.0.2 (an independent implementation) field by
// field. The known differences, each a narrow named exclusion there:
//   - state_table: npm checks states against its own table, which lacks
//     UTO and other ICAO codes; we check the shape only.
//   - sex_x: npm rejects sex X, which ICAO 9303 allows.
//   - visa_layout: npm has no visa layouts (reads MRV-A as TD3, MRV-B as
//     TD2); the document code, optional data and composite are not compared.
//   - french_id: npm reads a 2×36 MRZ with a digit in line 1 positions
//     31–35, or starting IDFRA, as a French ID; such cases are skipped.
//   - calendar: npm accepts day 31 in any month, 29 February in any year,
//     and half-unknown parts; we require a calendar date.
//   - long_number_alt: npm also accepts a long number's check digit computed
//     with the < between its two parts; ICAO computes it without.
//   - long_number_frame: a < for the check digit without a proper spilled
//     part (nothing, a lone check digit, no closing filler): npm accepts it,
//     taking the lone character or JavaScript's Number("") = 0 as the check
//     digit; we report CodeLength or CodeCheckDigit.
//   - name_fillers, name_single_part, name_trailing_sep, empty_name: npm
//     turns stray fillers into spaces, repeats a name without << as given
//     names, rejects a name ending exactly in <<, accepts an empty name.
//   - doc_code_second: npm accepts anything but V (a digit, a lower-case
//     letter) as second character of a TD1/TD2 document code.
//   - outside_alphabet: npm computes check digits over characters outside
//     A–Z, 0–9, < from their character codes; we fail the check.
package mrz
