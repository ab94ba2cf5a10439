package mrz

import (
	"time"
)

// tableNow is the injected "today" of the shared table.
var tableNow = func() time.Time { return time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC) }

// cnieLocation is the most likely place of the Moroccan CIN (DOMAIN.md: not
// confirmed, so configurable): line 1 optional data of the TD1 card.
var cnieLocation = Location{Field: FieldOptionalData1, Pattern: `[A-Z]{1,2}[0-9]{1,6}`, IssuingStates: []string{"MAR"}}

// specimen is one entry of the table shared by the golden test, the fuzz
// seeds, the benchmarks and (through its golden file) guichetctl's test.
// The UTO ones are the ICAO 9303 specimens; the others are invented values
// in real documents' shapes.
type specimen struct {
	name       string
	lines      []string
	national   Location
	wantErrors []FieldError // nil: valid
}

var specimens = []specimen{
	{name: "td1_icao_specimen", lines: []string{ // ICAO 9303-5 appendix; expired in 2012, not 2112
		"I<UTOD231458907<<<<<<<<<<<<<<<",
		"7408122F1204159UTO<<<<<<<<<<<6",
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
	}},
	{name: "td1_long_document_number", lines: []string{ // D23145890123: '<' for the check digit, "123" and its check digit "3" in optional data
		"I<UTOD23145890<1233<<<<<<<<<<<",
		"7408122F1204159UTO<<<<<<<<<<<2",
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
	}},
	{name: "td1_germany", lines: []string{ // D<< for Germany, sex not stated
		"IDD<<T220001293<<<<<<<<<<<<<<<",
		"6408125<2010315D<<<<<<<<<<<<<4",
		"MUSTERMANN<<ERIKA<<<<<<<<<<<<<",
	}},
	{name: "td1_morocco_cnie", national: cnieLocation, lines: []string{ // CIN BE123456 in line 1 optional data
		"I<MARZT04182739BE123456<<<<<<<",
		"8803045F3109306MAR<<<<<<<<<<<4",
		"EL<ALAOUI<<FATIMA<ZAHRA<<<<<<<",
	}},
	{name: "td1_morocco_cnie_no_location", lines: []string{
		"I<MARZT04182739BE123456<<<<<<<",
		"8803045F3109306MAR<<<<<<<<<<<4",
		"EL<ALAOUI<<FATIMA<ZAHRA<<<<<<<",
	}},
	{name: "td1_morocco_cnie_pattern_mismatch", national: Location{Field: FieldOptionalData1, Pattern: `[0-9]{10}`}, lines: []string{
		"I<MARZT04182739BE123456<<<<<<<",
		"8803045F3109306MAR<<<<<<<<<<<4",
		"EL<ALAOUI<<FATIMA<ZAHRA<<<<<<<",
	}},
	{name: "td1_born_this_month_a_century_ago", national: cnieLocation, lines: []string{ // 260401 with today 2026-03-15: 1926
		"I<MARA0000012<3A12345<<<<<<<<<",
		"2604011M3004010MAR<<<<<<<<<<<1",
		"BENNANI<<AHMED<<<<<<<<<<<<<<<<",
	}},
	{name: "td1_truncated_name", lines: []string{ // the name fills the field: SENYO cut to SEN
		"IDTGOTG00931721<<<<<<<<<<<<<<<",
		"7912012M2905176TGO<<<<<<<<<<<8",
		"KPODAR<AGBEKO<<KOMLAN<EDEM<SEN",
	}},
	{name: "td2_icao_specimen", lines: []string{
		"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
		"D231458907UTO7408122F1204159<<<<<<<6",
	}},
	{name: "td2_long_document_number", lines: []string{
		"IRUTOERIKSSON<<ANNA<<<<<<<<<<<<<<<<<",
		"ABC123456<MAR8511054F27110477892<<<6",
	}},
	{name: "td2_unknown_birth_month_and_day", lines: []string{
		"I<UTODIALLO<<AMINATA<<<<<<<<<<<<<<<<",
		"U1234567<6UTO58<<<<9<2807018<<<<<<<4",
	}},
	{name: "td3_icao_specimen", lines: []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}},
	{name: "td3_no_surname_sex_x", lines: []string{
		"P<UTO<<JOHN<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
		"X042177363UTO9001310X3001307<<<<<<<<<<<<<<<6",
	}},
	{name: "td3_surname_in_parts", lines: []string{
		"P<UTOVAN<DER<BERG<<JAN<PIETER<<<<<<<<<<<<<<<",
		"NL00001171UTO6106155M2702283<<<<<<<<<<<<<<<0",
	}},
	{name: "td3_empty_personal_number_check_zero", lines: []string{
		"P<UTOVAN<DER<BERG<<JAN<PIETER<<<<<<<<<<<<<<<",
		"NL00001171UTO6106155M2702283<<<<<<<<<<<<<<00",
	}},
	{name: "td3_child", lines: []string{ // born 2019, not 1919
		"P<TGOMENSAH<<AFI<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
		"T0561290<8TGO1904024F34040120<<<<<<<<<<<<<04",
	}},
	{name: "mrva_icao_specimen", lines: []string{
		"V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
	}},
	{name: "mrvb_icao_specimen", lines: []string{
		"V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
		"L8988901C4XXX4009078F9612109<<<<<<<<",
	}},

	// Invalid ones: each failed check by field, nothing corrected.
	{name: "td3_bad_document_number_check", lines: []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C37UTO7408122F1204159ZE184226B<<<<<10",
	}, wantErrors: []FieldError{{FieldDocumentNumber, CodeCheckDigit}, {FieldComposite, CodeCompositeCheck}}},
	{name: "td1_letter_o_in_birth_date", lines: []string{ // not read as 0
		"I<UTOD231458907<<<<<<<<<<<<<<<",
		"74O8122F1204159UTO<<<<<<<<<<<6",
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
	}, wantErrors: []FieldError{{FieldBirthDate, CodeBadChar}, {FieldBirthDate, CodeCheckDigit}, {FieldComposite, CodeCompositeCheck}}},
	{name: "td1_month_13", lines: []string{ // check digits right, date impossible
		"I<UTOD231458907<<<<<<<<<<<<<<<",
		"7413128F1204159UTO<<<<<<<<<<<6",
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
	}, wantErrors: []FieldError{{FieldBirthDate, CodeBadDate}}},
	{name: "td1_expiry_29_february_2025", lines: []string{
		"I<MARZT04182739BE123456<<<<<<<",
		"8803045F2502298MAR<<<<<<<<<<<6",
		"EL<ALAOUI<<FATIMA<ZAHRA<<<<<<<",
	}, wantErrors: []FieldError{{FieldExpiryDate, CodeBadDate}}},
	{name: "td1_long_number_not_closed", lines: []string{
		"I<UTOD23145890<123456789012345",
		"7408122F1204159UTO<<<<<<<<<<<7",
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
	}, wantErrors: []FieldError{{FieldDocumentNumber, CodeLength}}},
	{name: "td1_digit_in_surname", lines: []string{
		"I<UTOD231458907<<<<<<<<<<<<<<<",
		"7408122F1204159UTO<<<<<<<<<<<6",
		"ERIKSS0N<<ANNA<MARIA<<<<<<<<<<",
	}, wantErrors: []FieldError{{FieldSurname, CodeBadChar}}},
	{name: "td1_leading_filler_in_name", lines: []string{
		"I<UTOD231458907<<<<<<<<<<<<<<<",
		"7408122F1204159UTO<<<<<<<<<<<6",
		"<ERIKSSON<<ANNA<MARIA<<<<<<<<<",
	}, wantErrors: []FieldError{{FieldSurname, CodeBadValue}}},
	{name: "td1_no_name", lines: []string{
		"I<UTOD231458907<<<<<<<<<<<<<<<",
		"7408122F1204159UTO<<<<<<<<<<<6",
		"<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
	}, wantErrors: []FieldError{{FieldName, CodeMissing}}},
	{name: "td1_morocco_cnie_bad_composite", national: cnieLocation, lines: []string{ // no national number from an invalid MRZ
		"I<MARZT04182739BE123456<<<<<<<",
		"8803045F3109306MAR<<<<<<<<<<<5",
		"EL<ALAOUI<<FATIMA<ZAHRA<<<<<<<",
	}, wantErrors: []FieldError{{FieldComposite, CodeCompositeCheck}}},
	{name: "td2_bad_composite", lines: []string{
		"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
		"D231458907UTO7408122F1204159<<<<<<<5",
	}, wantErrors: []FieldError{{FieldComposite, CodeCompositeCheck}}},
	{name: "td3_sex_z", lines: []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122Z1204159ZE184226B<<<<<10",
	}, wantErrors: []FieldError{{FieldSex, CodeBadValue}}},
	{name: "td3_identity_card_code", lines: []string{ // a 2×44 MRZ must be a passport (P) or a visa (V)
		"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}, wantErrors: []FieldError{{FieldDocumentCode, CodeBadValue}}},
	{name: "td3_state_with_inner_filler", lines: []string{
		"P<U<OERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}, wantErrors: []FieldError{{FieldIssuingState, CodeBadValue}}},
	{name: "mrvb_bad_expiry_check", lines: []string{ // visas have no composite check digit
		"V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
		"L8988901C4XXX4009078F9612108<<<<<<<<",
	}, wantErrors: []FieldError{{FieldExpiryDate, CodeCheckDigit}}},
}
