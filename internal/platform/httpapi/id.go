package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ID is an id a platform may send as a string or a number (WHMCS sends
// numbers, Intercom strings, older APIs either).
type ID string

func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("id is neither a string nor a number: %w", err)
		}
		*id = ID(n.String())
		return nil
	}
}
