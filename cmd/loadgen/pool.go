package main

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
)

// pool is the pre-signed delivery set of a run: event i is template
// i % len(templates) with id eventID(run, i % size), signed by sigs[i % size].
type pool struct {
	templates []*template
	run       string // per-run part of every id, so ids never repeat across runs
	sigs      []string
}

// newPool signs size deliveries with secret, on every CPU.
func newPool(templates []*template, secret []byte, size int, run string, workers int) *pool {
	p := &pool{templates: templates, run: run, sigs: make([]string, size)}
	var wg sync.WaitGroup
	workers = max(1, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var id [idLen]byte
			for i := w; i < size; i += workers {
				t := p.template(int64(i))
				mac := hmac.New(sha1.New, secret)
				mac.Write(t.prefix)
				mac.Write(p.appendID(id[:0], int64(i)))
				mac.Write(t.suffix)
				p.sigs[i] = "sha1=" + hex.EncodeToString(mac.Sum(nil))
			}
		}()
	}
	wg.Wait()
	return p
}

// slot is where event i falls in the pool: events past the pool's size
// repeat earlier deliveries exactly (same id, same signature).
func (p *pool) slot(i int64) int64 { return i % int64(len(p.sigs)) }

func (p *pool) template(i int64) *template {
	return p.templates[p.slot(i)%int64(len(p.templates))]
}

// signature is the X-Hub-Signature of event i.
func (p *pool) signature(i int64) string { return p.sigs[p.slot(i)] }

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
