package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// pool is the pre-signed delivery set of a run: event i is template
// i % len(templates) with id eventID(run, i % size), carrying the headers
// its platform's Sign gave it. Only the header values are kept, one row of
// len(headerKeys) per delivery: a map per delivery would cost loadgen
// tens of megabytes.
type pool struct {
	templates  []*template
	run        string // per-run part of every id, so ids never repeat across runs
	size       int
	headerKeys []string // canonical names, the same for every delivery
	values     []string // size rows of len(headerKeys)
}

// signer computes the headers a genuine sender puts on body
// (platform.Platform.Sign with the source's secret).
type signer func(body []byte) http.Header

// newPool signs size deliveries on every CPU. A platform whose signature
// includes the time (a freshness window) gets the time of preparation:
// runs longer than its window would need signing on the fly.
func newPool(templates []*template, sign signer, size int, run string, workers int) (*pool, error) {
	p := &pool{templates: templates, run: run, size: size}
	first := sign(p.deliveryBody(nil, 0))
	for k := range first {
		p.headerKeys = append(p.headerKeys, k)
	}
	slices.Sort(p.headerKeys)
	p.values = make([]string, size*len(p.headerKeys))
	var wg sync.WaitGroup
	errs := make([]error, max(1, workers))
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for i := w; i < size; i += len(errs) {
				buf = p.deliveryBody(buf[:0], int64(i))
				h := sign(buf)
				if len(h) != len(p.headerKeys) {
					errs[w] = fmt.Errorf("delivery %d: signed with headers %v, the first with %v", i, slices.Sorted(maps.Keys(h)), p.headerKeys)
					return
				}
				for k, name := range p.headerKeys {
					v := h.Get(name)
					if v == "" {
						errs[w] = fmt.Errorf("delivery %d: no %s header", i, name)
						return
					}
					p.values[i*len(p.headerKeys)+k] = v
				}
			}
		}()
	}
	wg.Wait()
	return p, errors.Join(errs...)
}

// deliveryBody appends the body of event i to b.
func (p *pool) deliveryBody(b []byte, i int64) []byte {
	var id [idLen]byte
	return p.template(i).appendBody(b, string(p.appendID(id[:0], i)))
}

// setHeaders adds the signature headers of event i to h.
func (p *pool) setHeaders(h http.Header, i int64) {
	row := p.values[p.slot(i)*int64(len(p.headerKeys)):]
	for k, name := range p.headerKeys {
		h[name] = []string{row[k]}
	}
}

// slot is where event i falls in the pool: events past the pool's size
// repeat earlier deliveries exactly (same id, same signature).
func (p *pool) slot(i int64) int64 { return i % int64(p.size) }

func (p *pool) template(i int64) *template {
	return p.templates[p.slot(i)%int64(len(p.templates))]
}

// appendID appends the notification id of event i: "notif_" + run (a
// UUID's first four groups) + "-" + 12 hex digits of i modulo the pool.
func (p *pool) appendID(b []byte, i int64) []byte {
	b = append(b, "notif_"...)
	b = append(b, p.run...)
	b = append(b, '-')
	return fmt.Appendf(b, "%012x", p.slot(i))
}

// eventIndex recovers the pool index from a notification id found in a
// reply; ok is false for an id of another run.
func (p *pool) eventIndex(s string) (int64, bool) {
	prefix := "notif_" + p.run + "-"
	i := strings.Index(s, prefix)
	if i < 0 || len(s) < i+idLen {
		return 0, false
	}
	var n int64
	for _, c := range s[i+len(prefix) : i+idLen] {
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | int64(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | int64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return n, true
}

// newRunID returns the per-run id part: 8-4-4-4 hex digits.
func newRunID() string {
	var b [10]byte
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20]
}
