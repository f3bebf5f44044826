// Package payload decodes webhook bodies and reads decoded JSON safely. It
// is shared by every platform's Build: the generic intake decodes the body
// with Decode, and the platforms read fields with the helpers, which accept
// any decoded value without panicking.
package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/supportops/autoresponder/internal/event"
)

// MaxDepth is the deepest nesting of JSON objects and arrays Decode accepts.
// Real deliveries nest about ten levels.
const MaxDepth = 64

// BadRequestError is a delivery that cannot be turned into an event. Reason is
// meant for the sender (it is the "error" of the 400 answer).
type BadRequestError struct {
	Reason string
}

func (e *BadRequestError) Error() string { return "bad webhook payload: " + e.Reason }

func BadRequest(reason string) error { return &BadRequestError{Reason: reason} }

func BadRequestf(format string, args ...any) error {
	return &BadRequestError{Reason: fmt.Sprintf(format, args...)}
}

// Decode checks body and decodes it as one JSON object.
func Decode(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, BadRequest("body is empty")
	}
	if !utf8.Valid(body) {
		return nil, BadRequest("body is not valid UTF-8")
	}
	if !depthWithin(body, MaxDepth) {
		return nil, BadRequestf("JSON is nested deeper than %d levels", MaxDepth)
	}
	v, ok := fastDecode(body)
	if !ok {
		var err error
		if v, err = decodeSlow(body); err != nil {
			return nil, err
		}
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, BadRequestf("body must be a JSON object, not %s", TypeName(v))
	}
	return root, nil
}

// decodeSlow decodes with encoding/json what fastDecode leaves: invalid
// JSON (for the error), long numbers and NUL characters.
func decodeSlow(body []byte) (any, error) {
	// Into any, not map[string]any: the decoder then builds every level
	// on its fast path, without reflection. A float64 holds every integer
	// of up to 15 digits exactly; a body with a longer run of digits is
	// decoded again with numbers kept exact (see exactNumbers): as
	// float64, ticket id 9007199254740993 would become ...992.
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		// Into any, the only type error is a number beyond float64.
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && strings.HasPrefix(te.Value, "number") {
			return nil, BadRequestf("not JSON: %s is out of range", te.Value)
		}
		return nil, BadRequest("not JSON: " + err.Error())
	}
	if hasLongDigitRun(body) {
		var err error
		if v, err = decodeExact(body); err != nil {
			return nil, BadRequest("not JSON: " + err.Error())
		}
	}
	// JSON can carry NUL only escaped; PostgreSQL cannot store it (text or
	// jsonb), so it is replaced before anything keeps or renders it.
	if bytes.Contains(body, []byte(`\u0000`)) {
		v = withoutNUL(v)
	}
	return v, nil
}

// exactDigits is the longest run of digits every float64 holds exactly as
// an integer (2^53 has 16 digits).
const exactDigits = 15

// hasLongDigitRun reports whether body has more than exactDigits digits in
// a row anywhere (in a string too: then the exact decoding is merely not
// needed).
func hasLongDigitRun(body []byte) bool {
	run := 0
	for _, c := range body {
		if c >= '0' && c <= '9' {
			if run++; run > exactDigits {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// decodeExact decodes a document that json.Unmarshal has already accepted,
// with every number exact.
func decodeExact(body []byte) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return exactNumbers(v)
}

// exactNumbers replaces every json.Number in a decoded document with a
// float64, as json.Unmarshal would, unless it is an integer beyond 2^53: an
// int64 when it fits, else a json.Number (its exact digits). Rules compare
// int64 and float64 with numbers as usual; ids survive into targets and
// templates digit for digit. A number beyond float64's range is an error,
// as it always was.
func exactNumbers(v any) (any, error) {
	var err error
	switch x := v.(type) {
	case json.Number:
		return exactNumber(x)
	case []any:
		for i := range x {
			if x[i], err = exactNumbers(x[i]); err != nil {
				return nil, err
			}
		}
	case map[string]any:
		for k, e := range x {
			if x[k], err = exactNumbers(e); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// maxExactInt is 2^53: every integer up to it is exact as a float64.
const maxExactInt = 1 << 53

func exactNumber(n json.Number) (any, error) {
	s := string(n)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("number %s is out of range", s)
	}
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			if i >= -maxExactInt && i <= maxExactInt {
				return f, nil // as json.Unmarshal gives it
			}
			return i, nil
		}
		return n, nil // an integer beyond int64: keep its digits
	}
	return f, nil
}

// depthWithin reports whether the objects and arrays of the JSON text b nest
// at most max levels. It does not validate b; the decoder does that.
func depthWithin(b []byte, max int) bool {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			// Skip to the closing quote: one not preceded by an odd
			// number of backslashes.
			for {
				k := bytes.IndexByte(b[i+1:], '"')
				if k < 0 {
					return true // unterminated string: the decoder reports it
				}
				i += k + 1
				n := 0
				for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
					n++
				}
				if n%2 == 0 {
					break
				}
			}
		case '{', '[':
			depth++
			if depth > max {
				return false
			}
		case '}', ']':
			depth--
		}
	}
	return true
}

// JSON value helpers. Decoded JSON holds map[string]any, []any, string,
// int64, float64, json.Number (see exactNumbers), bool and nil; every helper accepts any of them without panicking.

// Object returns v as an object, or nil.
func Object(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// Scalar returns v as a string when it is a string or a number (numbers in
// plain decimal: ids and counts often arrive as either); ok is false for any
// other type. null is "" and ok.
func Scalar(v any) (s string, ok bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return formatNumber(x), true
	case json.Number:
		return string(x), true
	case nil:
		return "", true
	}
	return "", false
}

// Str is scalar for optional fields: anything that is not a string or a
// number reads as "".
func Str(v any) string {
	s, _ := Scalar(v)
	return s
}

func formatNumber(f float64) string {
	if math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// TypeName names a JSON value's type for error messages.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case int64, float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// RequiredString returns m[key] as a non-empty string. path names the field
// in the reason of the error.
func RequiredString(m map[string]any, key, path string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", BadRequest(path + " missing")
	}
	s, ok := v.(string)
	if !ok {
		return "", BadRequestf("%s must be a string, not %s", path, TypeName(v))
	}
	if s == "" {
		return "", BadRequest(path + " is empty")
	}
	return s, BoundedID(s, path)
}

// BoundedID refuses an id longer than the store can index: that delivery
// would fail the same way on every retry.
func BoundedID(s, path string) error {
	if len(s) > event.MaxIDBytes {
		return BadRequestf("%s is %d bytes, longer than the %d allowed", path, len(s), event.MaxIDBytes)
	}
	return nil
}

// RequiredID returns m[key] as a non-empty id; numbers are accepted.
func RequiredID(m map[string]any, key, path string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", BadRequest(path + " missing")
	}
	s, ok := Scalar(v)
	if !ok {
		return "", BadRequestf("%s must be a string or a number, not %s", path, TypeName(v))
	}
	if s == "" {
		return "", BadRequest(path + " is empty")
	}
	return s, BoundedID(s, path)
}

// RequiredObject returns m[key] as an object.
func RequiredObject(m map[string]any, key, path string) (map[string]any, error) {
	v, ok := m[key]
	if !ok {
		return nil, BadRequest(path + " missing")
	}
	if v == nil {
		return nil, BadRequest(path + " is null")
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, BadRequestf("%s must be an object, not %s", path, TypeName(v))
	}
	return o, nil
}

// Message builds a Message from a body and its author object.
func Message(id, body string, author map[string]any) *event.Message {
	return &event.Message{
		ID:     id,
		HTML:   body,
		Text:   event.MessageText(body),
		Author: event.Author{Type: Str(author["type"]), ID: Str(author["id"]), Name: Str(author["name"]), Email: Str(author["email"])},
	}
}

// withoutNUL replaces U+0000 in every string and key of a decoded document
// with U+FFFD.
func withoutNUL(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, "\x00", "\uFFFD")
	case []any:
		for i := range x {
			x[i] = withoutNUL(x[i])
		}
	case map[string]any:
		for k, e := range x {
			clean := withoutNUL(k).(string)
			if clean != k {
				delete(x, k)
			}
			x[clean] = withoutNUL(e)
		}
	}
	return v
}
