package whmcsfake

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// phpUnserialize reads what PHP's serialize() makes of an array of
// strings keyed by strings or integers (WHMCS custom fields, for both the
// reseller API and the stock External API), strictly: lengths must
// match, numbers are canonical, no key comes twice and nothing follows.
func phpUnserialize(s string) (map[string]string, error) {
	d := &phpDecoder{s: s}
	m, err := d.array()
	if err != nil {
		return nil, fmt.Errorf("PHP serialized array at byte %d: %w", d.pos, err)
	}
	if d.pos != len(s) {
		return nil, fmt.Errorf("PHP serialized array: %d bytes after the end", len(s)-d.pos)
	}
	return m, nil
}

type phpDecoder struct {
	s   string
	pos int
}

func (d *phpDecoder) array() (map[string]string, error) {
	if err := d.expect("a:"); err != nil {
		return nil, err
	}
	n, err := d.int(':')
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, errors.New("negative array length")
	}
	if err := d.expect("{"); err != nil {
		return nil, err
	}
	// The count is not trusted for sizing: the map grows as items parse.
	m := map[string]string{}
	for range n {
		var key string
		switch {
		case strings.HasPrefix(d.s[d.pos:], "i:"):
			d.pos += 2
			k, err := d.int(';')
			if err != nil {
				return nil, err
			}
			key = strconv.Itoa(k)
		case strings.HasPrefix(d.s[d.pos:], "s:"):
			if key, err = d.str(); err != nil {
				return nil, err
			}
		default:
			return nil, errors.New("want an i: or s: key")
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("key %q twice", key)
		}
		if !strings.HasPrefix(d.s[d.pos:], "s:") {
			return nil, fmt.Errorf("value of %q: want a string", key)
		}
		v, err := d.str()
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
	if err := d.expect("}"); err != nil {
		return nil, err
	}
	return m, nil
}

// str reads s:LEN:"...";, LEN in bytes.
func (d *phpDecoder) str() (string, error) {
	if err := d.expect("s:"); err != nil {
		return "", err
	}
	n, err := d.int(':')
	if err != nil {
		return "", err
	}
	if err := d.expect(`"`); err != nil {
		return "", err
	}
	if n < 0 || n > len(d.s)-d.pos { // not d.pos+n: that can overflow
		return "", fmt.Errorf("string length %d runs past the end", n)
	}
	v := d.s[d.pos : d.pos+n]
	d.pos += n
	if err := d.expect(`";`); err != nil {
		return "", fmt.Errorf("string length %d does not match: %w", n, err)
	}
	return v, nil
}

// int reads a decimal integer ended by end.
func (d *phpDecoder) int(end byte) (int, error) {
	i := strings.IndexByte(d.s[d.pos:], end)
	if i < 0 {
		return 0, fmt.Errorf("want %q after a number", end)
	}
	text := d.s[d.pos : d.pos+i]
	n, err := strconv.Atoi(text)
	if err != nil || strconv.Itoa(n) != text {
		return 0, fmt.Errorf("bad number %q", d.s[d.pos:d.pos+i])
	}
	d.pos += i + 1
	return n, nil
}

func (d *phpDecoder) expect(lit string) error {
	if !strings.HasPrefix(d.s[d.pos:], lit) {
		return fmt.Errorf("want %q", lit)
	}
	d.pos += len(lit)
	return nil
}
