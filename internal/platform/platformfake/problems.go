package platformfake

import (
	"crypto/rand"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// problems collects everything wrong with one request, so a violation
// names all of it at once.
type problems []string

func (p *problems) addf(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

func joinProblems(ps []string) string { return strings.Join(ps, "; ") }

// checkBearer checks Authorization: Bearer <token>; an empty want accepts
// any non-empty token.
func checkBearer(h http.Header, want string) bool {
	got, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	if !ok || got == "" {
		return false
	}
	return want == "" || got == want
}

// mediaType parses a Content-Type, "" when it does not parse.
func mediaType(v string) (string, map[string]string) {
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		return "", nil
	}
	return mt, params
}

// accepts reports whether an Accept header admits JSON.
func accepts(accept, want string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _ := mediaType(strings.TrimSpace(part))
		if mt == want || mt == "*/*" || mt == "application/*" {
			return true
		}
	}
	return false
}

// isUUID accepts the canonical 8-4-4-4-12 hex form.
func isUUID(s string) bool {
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

func isDigits(s string) bool {
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

// newUUID makes a random (version 4) UUID for request ids.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
