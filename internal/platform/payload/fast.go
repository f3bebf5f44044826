package payload

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// fastDecode decodes body, one JSON value, into the same tree json.Unmarshal
// builds into an `any`: map[string]any, []any, string, float64, bool, nil.
//
// encoding/json reads a body twice (checkValid scans all of it before the
// decoder scans it again) and goes through its general state machine for
// every byte; with nothing else to do, that was half of the intake's CPU.
// This is one pass that validates as it builds.
//
// ok is false whenever the answer is not plainly json.Unmarshal's: any
// syntax error (the caller decodes again with encoding/json, for its error
// message), a number with more digits in a row than a float64 holds exactly
// or out of float64's range (the exact-number path), a \u0000 escape (the
// NUL path), or nesting deeper than MaxDepth. body must be valid UTF-8
// (Decode checks it first), so strings need no rune validation.
func fastDecode(body []byte) (v any, ok bool) {
	d := fastDecoder{b: body, members: make([]member, 0, 32), elems: make([]any, 0, 32)}
	v, ok = d.value(0)
	if !ok {
		return nil, false
	}
	d.space()
	return v, d.i == len(d.b)
}

type fastDecoder struct {
	b []byte
	i int
	// members and elems collect the contents of the objects and arrays
	// being read, innermost last, so that each map and slice is made once
	// at its final size: growing maps as keys arrive was a third of the
	// decoding.
	members []member
	elems   []any
}

type member struct {
	key   string
	value any
}

// space skips JSON whitespace (only these four bytes are).
func (d *fastDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDecoder) value(depth int) (any, bool) {
	d.space()
	if d.i >= len(d.b) {
		return nil, false
	}
	switch c := d.b[d.i]; {
	case c == '{':
		if depth >= MaxDepth {
			return nil, false
		}
		return d.object(depth + 1)
	case c == '[':
		if depth >= MaxDepth {
			return nil, false
		}
		return d.array(depth + 1)
	case c == '"':
		s, ok := d.string()
		return s, ok
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	}
	return nil, false
}

func (d *fastDecoder) literal(word string) bool {
	if len(d.b)-d.i < len(word) || string(d.b[d.i:d.i+len(word)]) != word {
		return false
	}
	d.i += len(word)
	return true
}

func (d *fastDecoder) object(depth int) (any, bool) {
	d.i++ // {
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return map[string]any{}, true
	}
	base := len(d.members) // a failure ends the whole decoding: no need to pop
	for {
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, false
		}
		k, ok := d.string()
		if !ok {
			return nil, false
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, false
		}
		d.i++
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		d.members = append(d.members, member{k, v})
		d.space()
		if d.i >= len(d.b) {
			return nil, false
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			ms := d.members[base:]
			m := make(map[string]any, len(ms))
			for _, kv := range ms {
				m[kv.key] = kv.value // a repeated key: the last one wins, as with encoding/json
			}
			d.members = d.members[:base]
			return m, true
		default:
			return nil, false
		}
	}
}

func (d *fastDecoder) array(depth int) (any, bool) {
	d.i++ // [
	d.space()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		// Not nil: encoding/json decodes [] as an empty, non-nil slice.
		return []any{}, true
	}
	base := len(d.elems)
	for {
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		d.elems = append(d.elems, v)
		d.space()
		if d.i >= len(d.b) {
			return nil, false
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			a := append([]any(nil), d.elems[base:]...)
			d.elems = d.elems[:base]
			return a, true
		default:
			return nil, false
		}
	}
}

// string reads a string at d.i (its opening quote).
func (d *fastDecoder) string() (string, bool) {
	start := d.i + 1
	for i := start; i < len(d.b); i++ {
		switch c := d.b[i]; {
		case c == '"':
			d.i = i + 1
			return string(d.b[start:i]), true
		case c == '\\':
			return d.escaped(start, i)
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// escaped reads the rest of a string that has an escape at i, decoding the
// escapes as encoding/json does: a \u escape of half a surrogate pair that
// is not followed by the other half is U+FFFD.
func (d *fastDecoder) escaped(start, i int) (string, bool) {
	out := make([]byte, 0, i-start+32)
	out = append(out, d.b[start:i]...)
	for i < len(d.b) {
		c := d.b[i]
		switch {
		case c == '"':
			d.i = i + 1
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(d.b) {
			return "", false
		}
		switch e := d.b[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(d.b[i+2:])
			if !ok || r == 0 {
				return "", false // NUL: Decode's own path replaces it
			}
			i += 6
			if utf16.IsSurrogate(r) {
				high := r
				r = utf8.RuneError
				if len(d.b)-i >= 6 && d.b[i] == '\\' && d.b[i+1] == 'u' {
					if low, ok := hex4(d.b[i+2:]); ok {
						if pair := utf16.DecodeRune(high, low); pair != utf8.RuneError {
							r = pair
							i += 6
						}
					}
				}
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return "", false
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads a number with JSON's grammar into a float64, as
// json.Unmarshal does into an `any`.
func (d *fastDecoder) number() (any, bool) {
	start, i := d.i, d.i
	run := 0 // digits in a row, as hasLongDigitRun counts them
	digits := func() int {
		n := 0
		for i < len(d.b) && '0' <= d.b[i] && d.b[i] <= '9' {
			i++
			n++
		}
		run = max(run, n)
		return n
	}
	if d.b[i] == '-' {
		i++
	}
	if i < len(d.b) && d.b[i] == '0' {
		i++
		// A leading 0 stands alone; what follows must not be a digit.
		if i < len(d.b) && '0' <= d.b[i] && d.b[i] <= '9' {
			return nil, false
		}
	} else if digits() == 0 {
		return nil, false
	}
	if i < len(d.b) && d.b[i] == '.' {
		i++
		if digits() == 0 {
			return nil, false
		}
	}
	if i < len(d.b) && (d.b[i] == 'e' || d.b[i] == 'E') {
		i++
		if i < len(d.b) && (d.b[i] == '+' || d.b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	if run > exactDigits {
		return nil, false // maybe beyond 2^53: decodeExact keeps it exact
	}
	f, err := strconv.ParseFloat(string(d.b[start:i]), 64)
	if err != nil {
		return nil, false // out of range: encoding/json words the error
	}
	d.i = i
	return f, true
}
