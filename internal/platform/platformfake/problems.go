package platformfake

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// Problems collects everything wrong with one request, so a violation
// names all of it at once.
type Problems []string

func (p *Problems) Addf(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

func joinProblems(ps []string) string { return strings.Join(ps, "; ") }

// CheckBearer checks Authorization: Bearer <token>; an empty want Accepts
// any non-empty token.
func CheckBearer(h http.Header, want string) bool {
	got, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	if !ok || got == "" {
		return false
	}
	return want == "" || got == want
}

// MediaType parses a Content-Type, "" when it does not parse.
func MediaType(v string) (string, map[string]string) {
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		return "", nil
	}
	return mt, params
}

// Accepts reports whether an Accept header admits JSON.
func Accepts(accept, want string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _ := MediaType(strings.TrimSpace(part))
		if mt == want || mt == "*/*" || mt == "application/*" {
			return true
		}
	}
	return false
}

// IsUUID Accepts the canonical 8-4-4-4-12 hex form.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func IsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NewUUID makes a random (version 4) UUID for request ids.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// MustJSON marshals v, which must be marshalable.
func MustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// JoinProblems is how a violation lists its problems.
func JoinProblems(ps []string) string { return joinProblems(ps) }

// StringField reads fields[key] as a JSON string, recording what is wrong
// with it (missing when required, not a string).
func StringField(p *Problems, fields map[string]json.RawMessage, key string, required bool) (string, bool) {
	raw, present := fields[key]
	if !present {
		if required {
			p.Addf("%s is required", key)
		}
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || IsNull(raw) {
		p.Addf("%s: want a string, got %s", key, ClipRaw(raw))
		return "", false
	}
	return s, true
}

// IsNull reports whether a raw JSON value is null.
func IsNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// ClipRaw is a raw JSON value cut short for a message.
func ClipRaw(raw json.RawMessage) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "..."
	}
	return string(raw)
}
