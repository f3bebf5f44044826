package intercomfake

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

const (
	testToken   = "fake-token-123"
	testAdminID = "991267696"
	testVersion = "2.16"
)

// do sends one request and returns status, headers and body.
func do(t *testing.T, method, url, body string, header http.Header) (int, http.Header, []byte) {
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

// intercomHeader is what a well-behaved client sends.
func intercomHeader() http.Header {
	return http.Header{
		"Authorization":    {"Bearer " + testToken},
		"Content-Type":     {"application/json"},
		"Accept":           {"application/json"},
		"Intercom-Version": {testVersion},
		"User-Agent":       {"test"},
	}
}

// form builds a multipart body from fields in order.
func form(t *testing.T, fields ...[2]string) (string, string) {
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

func whmcsHeader(contentType string) http.Header {
	return http.Header{"Authorization": {"Bearer " + testToken}, "Content-Type": {contentType}}
}

func decodeJSON(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", data, err)
	}
	return m
}

// clock is a settable clock for rate-limit tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorder collects Errorf calls, to test AssertNoViolations.
type recorder struct{ errs []string }

func (r *recorder) Helper()                        {}
func (r *recorder) Errorf(format string, a ...any) { r.errs = append(r.errs, format) }
