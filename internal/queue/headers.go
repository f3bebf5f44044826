package queue

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// encodeHeaders is the headers column of an event: a JSON object of
// header names to their values, or NULL when there are none.
func encodeHeaders(h http.Header) (*string, error) {
	if len(h) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode the event's headers: %w", err)
	}
	s := string(b)
	return &s, nil
}

// decodeHeaders reads the headers column back; NULL (also every row stored
// before the column existed) is nil.
func decodeHeaders(col *string) (http.Header, error) {
	if col == nil || *col == "" {
		return nil, nil
	}
	var h http.Header
	if err := json.Unmarshal([]byte(*col), &h); err != nil {
		return nil, fmt.Errorf("read the stored headers: %w", err)
	}
	return h, nil
}
