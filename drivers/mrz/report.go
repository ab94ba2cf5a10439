package mrz

import "strings"

// Report is the flat, JSON-ready reading of an MRZ printed by
// `guichetctl mrz` and logged by the kiosk. Dates are YYYY-MM-DD with
// unknown parts as XXXX/XX ("1974-XX-XX") and "" when unreadable; sex is
// "M", "F", "X" or "" when unspecified; given names are space separated;
// errors is never null.
type Report struct {
	Format         string       `json:"format"`
	DocumentCode   string       `json:"document_code"`
	IssuingState   string       `json:"issuing_state"`
	DocumentNumber string       `json:"document_number"`
	OptionalData1  string       `json:"optional_data_1"`
	OptionalData2  string       `json:"optional_data_2"`
	BirthDate      string       `json:"birth_date"`
	ExpiryDate     string       `json:"expiry_date"`
	Sex            string       `json:"sex"`
	Nationality    string       `json:"nationality"`
	Surname        string       `json:"surname"`
	GivenNames     string       `json:"given_names"`
	NationalNumber string       `json:"national_number"`
	Valid          bool         `json:"valid"`
	Errors         []FieldError `json:"errors"`
}

// Report flattens m.
func (m *MRZ) Report() Report {
	errs := m.Errors
	if errs == nil {
		errs = []FieldError{}
	}
	return Report{
		Format:         string(m.Format),
		DocumentCode:   m.DocumentCode,
		IssuingState:   m.IssuingState,
		DocumentNumber: m.DocumentNumber,
		OptionalData1:  m.OptionalData1,
		OptionalData2:  m.OptionalData2,
		BirthDate:      m.BirthDate.String(),
		ExpiryDate:     m.ExpiryDate.String(),
		Sex:            m.Sex,
		Nationality:    m.Nationality,
		Surname:        m.Surname,
		GivenNames:     strings.Join(m.GivenNames, " "),
		NationalNumber: m.NationalNumber,
		Valid:          m.Valid,
		Errors:         errs,
	}
}
