// Package faketest is what the tests of the strict fakes share: one raw
// request as a client would send it, a multipart form, a JSON answer read
// back, a settable clock for rate-limit windows and a TB that keeps the
// failures it is given (to test the fakes' own assertions).
package faketest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Do sends one request and returns the answer's status, header and body.
func Do(t testing.TB, method, url, body string, header http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return resp.StatusCode, resp.Header, data
}

// Form builds a multipart body from name/value pairs, in order, and
// returns its content type and the body.
func Form(t testing.TB, fields ...[2]string) (contentType, body string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.String()
}

// DecodeJSON reads an answer that must be a JSON object.
func DecodeJSON(t testing.TB, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", data, err)
	}
	return m
}

// Clock is a clock a test moves by hand; safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Recorder is a platformfake.TB that keeps the format of every Errorf,
// so a test can check what an assertion would have reported.
type Recorder struct{ Errs []string }

func (*Recorder) Helper() {}

func (r *Recorder) Errorf(format string, _ ...any) { r.Errs = append(r.Errs, format) }
