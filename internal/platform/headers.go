package platform

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/supportops/autoresponder/internal/platform/payload"
)

// MaxKeptHeaderBytes bounds the headers Parse keeps with an event (names
// and values of Spec.EventHeaders together). The HTTP server already
// refuses requests with more than 64 KiB of headers; this keeps one
// stored event small whatever a platform lists.
const MaxKeptHeaderBytes = 8 << 10

// keptHeaders copies the headers of names from h: what Build read, so that
// Raw and these parse again to the same event. Nil when there are none.
func keptHeaders(names []string, h http.Header) (http.Header, error) {
	var kept http.Header
	size := 0
	for _, name := range names {
		values := h.Values(name)
		if len(values) == 0 {
			continue
		}
		for _, v := range values {
			size += len(name) + len(v)
		}
		if size > MaxKeptHeaderBytes {
			return nil, payload.BadRequestf("the %s header is too long to keep with the event (over %d bytes)", name, MaxKeptHeaderBytes)
		}
		if kept == nil {
			kept = http.Header{}
		}
		kept[http.CanonicalHeaderKey(name)] = slices.Clone(values)
	}
	return kept, nil
}

// MissingEventHeaders lists the headers of p's Spec.EventHeaders that h
// lacks: what a user of the file-based tools (bot explain, bot send,
// bot test) has to add when a payload is refused.
func MissingEventHeaders(p Platform, h http.Header) []string {
	var out []string
	for _, name := range p.Spec().EventHeaders {
		if len(h.Values(name)) == 0 {
			out = append(out, name)
		}
	}
	return out
}

// ParseHeaderLine reads a header written as on the wire, "Name: value"
// (a command-line --header). Spaces around the value are dropped.
func ParseHeaderLine(line string) (name, value string, err error) {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return "", "", fmt.Errorf("header %q: want Name: value", line)
	}
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if err := CheckHeader(name, value); err != nil {
		return "", "", err
	}
	return name, value, nil
}

// CheckHeader refuses what an HTTP request cannot carry: a name that is
// not an RFC 9110 token, a value with control characters (CR and LF would
// split the request) or invalid UTF-8.
func CheckHeader(name, value string) error {
	if name == "" {
		return fmt.Errorf("header name is empty")
	}
	for _, c := range []byte(name) {
		if !isTokenChar(c) {
			return fmt.Errorf("header name %q: only letters, digits and !#$%%&'*+-.^_`|~ are allowed", name)
		}
	}
	if !utf8.ValidString(value) {
		return fmt.Errorf("header %s: the value is not valid UTF-8", name)
	}
	for _, r := range value {
		if r < ' ' && r != '\t' || r == 0x7f {
			return fmt.Errorf("header %s: the value has a control character (%q)", name, r)
		}
	}
	return nil
}

// isTokenChar reports whether c may appear in a header name (RFC 9110
// section 5.6.2, tchar).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// SingleHeader returns the one value of header key, for the headers a
// signature check reads: none or an empty one is missing, several are
// refused (which of them was signed cannot be told). The refusals are the
// caller's, allocated once, since Verify runs on every delivery.
func SingleHeader(h http.Header, key string, missing, multiple error) (string, error) {
	values := h.Values(key)
	switch {
	case len(values) == 0 || values[0] == "":
		return "", missing
	case len(values) > 1:
		return "", multiple
	}
	return values[0], nil
}
