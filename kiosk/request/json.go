package request

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// jsonRequest has Request's fields without its methods, so that encoding/json
// does the field work and MarshalJSON/UnmarshalJSON only add the checks.
type jsonRequest Request

// MarshalJSON encodes r with the field names of its struct tags; like
// MarshalBinary it refuses a request that fails Validate.
func (r Request) MarshalJSON() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("request: marshal json: %w", err)
	}
	return json.Marshal(jsonRequest(r))
}

// UnmarshalJSON is as strict as UnmarshalBinary: unknown fields, trailing
// data and a request that fails Validate are errors, and on error r is
// unchanged.
func (r *Request) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var q jsonRequest
	if err := dec.Decode(&q); err != nil {
		return fmt.Errorf("request: unmarshal json: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("request: unmarshal json: trailing data")
	}
	if err := (*Request)(&q).Validate(); err != nil {
		return fmt.Errorf("request: unmarshal json: %w", err)
	}
	*r = Request(q)
	return nil
}
