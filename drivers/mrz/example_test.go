package mrz_test

import (
	"fmt"
	"time"

	"guichet/drivers/mrz"
)

func ExampleParse() {
	// What a serial document reader sends for the ICAO TD1 specimen.
	raw := "I<UTOD231458907<<<<<<<<<<<<<<<\r\n7408122F1204159UTO<<<<<<<<<<<6\r\nERIKSSON<<ANNA<MARIA<<<<<<<<<<\r\n"
	today := func() time.Time { return time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC) }

	m, err := mrz.Parse(mrz.Split(raw), mrz.Options{Now: today})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Format, m.DocumentNumber, m.Surname, m.GivenNames)
	fmt.Println("born", m.BirthDate, "expires", m.ExpiryDate, "expired:", m.Expired(today()))
	fmt.Println("valid:", m.Valid)
	// Output:
	// TD1 D23145890 ERIKSSON [ANNA MARIA]
	// born 1974-08-12 expires 2012-04-15 expired: true
	// valid: true
}

func ExampleParse_invalid() {
	// The birth date has the letter O where a 0 belongs: reported, not fixed.
	lines := []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO74O8122F1204159ZE184226B<<<<<10",
	}
	m, err := mrz.Parse(lines, mrz.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("valid:", m.Valid)
	for _, e := range m.Errors {
		fmt.Println(e.Field, e.Code)
	}
	// Output:
	// valid: false
	// birth_date bad_char
	// birth_date check_digit
	// composite composite_check
}

func ExampleParse_nationalNumber() {
	// A CNIE-shaped card; the country pack says where the CIN sits.
	lines := []string{
		"I<MARZT04182739BE123456<<<<<<<",
		"8803045F3109306MAR<<<<<<<<<<<4",
		"EL<ALAOUI<<FATIMA<ZAHRA<<<<<<<",
	}
	m, _ := mrz.Parse(lines, mrz.Options{NationalNumber: mrz.Location{
		Field:         mrz.FieldOptionalData1,
		Pattern:       `[A-Z]{1,2}[0-9]{1,6}`,
		IssuingStates: []string{"MAR"},
	}})
	fmt.Println(m.NationalNumber)
	// Output: BE123456
}

func ExampleFormat() {
	lines, err := mrz.Format(mrz.Document{
		Format:         mrz.TD1,
		DocumentCode:   "I",
		IssuingState:   "MAR",
		DocumentNumber: "ZT0418273",
		OptionalData1:  "BE123456",
		BirthDate:      mrz.Date{Year: 1988, Month: 3, Day: 4},
		ExpiryDate:     mrz.Date{Year: 2031, Month: 9, Day: 30},
		Sex:            "F",
		Nationality:    "MAR",
		Surname:        "EL ALAOUI",
		GivenNames:     []string{"FATIMA", "ZAHRA"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// I<MARZT04182739BE123456<<<<<<<
	// 8803045F3109306MAR<<<<<<<<<<<4
	// EL<ALAOUI<<FATIMA<ZAHRA<<<<<<<
}

func ExampleCheckDigit() {
	c, _ := mrz.CheckDigit("L898902C3")
	fmt.Println(string(c))
	// Output: 6
}
