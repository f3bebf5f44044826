package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/supportops/autoresponder/internal/replier"
)

func TestClassifyStatus(t *testing.T) {
	tests := []struct {
		status    int
		want      replier.Reason
		wantRetry bool
	}{
		{301, replier.ReasonClientError, false},
		{302, replier.ReasonClientError, false},
		{400, replier.ReasonClientError, false},
		{401, replier.ReasonClientError, false},
		{403, replier.ReasonClientError, false},
		{404, replier.ReasonClientError, false},
		{408, replier.ReasonTimeout, true},
		{409, replier.ReasonClientError, false},
		{410, replier.ReasonClientError, false},
		{422, replier.ReasonClientError, false},
		{429, replier.ReasonRateLimited, true},
		{500, replier.ReasonServerError, true},
		{502, replier.ReasonServerError, true},
		{503, replier.ReasonServerError, true},
		{504, replier.ReasonServerError, true},
		{599, replier.ReasonServerError, true},
	}
	for _, tt := range tests {
		got, retry := ClassifyStatus(tt.status)
		if got != tt.want || retry != tt.wantRetry {
			t.Errorf("ClassifyStatus(%d) = %s, %v; want %s, %v", tt.status, got, retry, tt.want, tt.wantRetry)
		}
	}
}

func TestParseRateLimit(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   replier.RateLimit
	}{
		{"all three", http.Header{"X-Ratelimit-Limit": {"167"}, "X-Ratelimit-Remaining": {"12"}, "X-Ratelimit-Reset": {"1700000010"}},
			replier.RateLimit{Known: true, Limit: 167, Remaining: 12, Reset: time.Unix(1700000010, 0)}},
		{"none", http.Header{}, replier.RateLimit{}},
		{"no reset", http.Header{"X-Ratelimit-Limit": {"10"}, "X-Ratelimit-Remaining": {"0"}}, replier.RateLimit{Known: true, Limit: 10}},
		{"garbage remaining", http.Header{"X-Ratelimit-Limit": {"10"}, "X-Ratelimit-Remaining": {"lots"}, "X-Ratelimit-Reset": {"1700000010"}},
			replier.RateLimit{Reset: time.Unix(1700000010, 0)}},
		{"negative", http.Header{"X-Ratelimit-Limit": {"-1"}, "X-Ratelimit-Remaining": {"3"}}, replier.RateLimit{}},
		{"spaces", http.Header{"X-Ratelimit-Limit": {" 5 "}, "X-Ratelimit-Remaining": {" 4"}}, replier.RateLimit{Known: true, Limit: 5, Remaining: 4}},
	}
	for _, tt := range tests {
		got := ParseRateLimit(tt.header, time.Time{})
		if got.Known != tt.want.Known || got.Limit != tt.want.Limit || got.Remaining != tt.want.Remaining || !got.Reset.Equal(tt.want.Reset) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	reset := replier.RateLimit{Known: true, Limit: 10, Reset: now.Add(8 * time.Second)}
	tests := []struct {
		name   string
		status int
		value  string
		rl     replier.RateLimit
		want   time.Duration
	}{
		{"seconds", 429, "7", replier.RateLimit{}, 7 * time.Second},
		{"seconds beat reset", 429, "3", reset, 3 * time.Second},
		{"zero seconds", 429, "0", reset, 0},
		{"negative seconds", 429, "-5", replier.RateLimit{}, 0},
		{"huge seconds capped", 429, "99999999999999", replier.RateLimit{}, 24 * time.Hour},
		{"HTTP date", 429, now.Add(90 * time.Second).Format(http.TimeFormat), replier.RateLimit{}, 90 * time.Second},
		{"HTTP date in the past", 503, now.Add(-time.Minute).Format(http.TimeFormat), replier.RateLimit{}, 0},
		{"no header, reset", 429, "", reset, 8 * time.Second},
		{"garbage header, reset", 429, "soon", reset, 8 * time.Second},
		{"reset passed", 429, "", replier.RateLimit{Reset: now.Add(-time.Second)}, 0},
		{"nothing said", 429, "", replier.RateLimit{}, 0},
		{"503 with seconds", 503, "30", replier.RateLimit{}, 30 * time.Second},
		{"503 ignores reset", 503, "", reset, 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		if got := RetryAfter(tt.status, h, tt.rl, now); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	const token = "tok-SECRET-42"
	long := strings.Repeat("é", 150) // 300 bytes
	tests := []struct {
		name, in, want string
	}{
		{"trimmed", "  <h1>Bad\n\tGateway</h1>  ", "<h1>Bad Gateway</h1>"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"token removed", "Authorization: Bearer " + token, "Authorization: Bearer [redacted]"},
		{"empty", "", ""},
	}
	c, err := New(Config{Secrets: []string{token}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		if got := c.Snippet([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	got := c.Snippet([]byte(long))
	if len(got) > maxSnippetBytes || !utf8.ValidString(got) || !strings.HasSuffix(got, "...") {
		t.Errorf("long snippet: %d bytes, valid %v: %q", len(got), utf8.ValidString(got), got)
	}
	// The token straddles the cut: it must go before cutting, leaving no prefix behind.
	straddle := strings.Repeat("x", maxSnippetBytes-6) + token
	if got := c.Snippet([]byte(straddle)); strings.Contains(got, token[:5]) {
		t.Errorf("a piece of the token survived the cut: %q", got)
	}
}

func TestCheckPathID(t *testing.T) {
	for _, id := range []string{"123", "last", "6762f1571bb69f9f2193bbbb", "a;b", "a:b"} {
		if err := CheckPathID(id); err != nil {
			t.Errorf("CheckPathID(%q) = %v, want nil", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", "../admins", "a/b", "/", `a\b`, "%2F", "%2e%2e", "a b", "a\nb", "a\x00b", "a?b", "a#b"} {
		if err := CheckPathID(id); err == nil {
			t.Errorf("CheckPathID(%q) = nil, want an error", id)
		}
	}
}

func TestEndpointURL(t *testing.T) {
	tests := []struct {
		base     string
		segments []string
		want     string
	}{
		{"https://api.intercom.io", []string{"conversations", "123", "reply"}, "https://api.intercom.io/conversations/123/reply"},
		{"https://api.intercom.io/", []string{"tickets", "9", "reply"}, "https://api.intercom.io/tickets/9/reply"},
		{"https://h.example/api/v2/", []string{"add-ticket-reply"}, "https://h.example/api/v2/add-ticket-reply"},
		{"http://127.0.0.1:8080/x%20y", []string{"a b"}, "http://127.0.0.1:8080/x%20y/a%20b"},
		{"https://api.intercom.io", []string{"conversations", "a?x=1#f", "reply"}, "https://api.intercom.io/conversations/a%3Fx=1%23f/reply"},
	}
	for _, tt := range tests {
		base, err := ParseBaseURL(tt.base)
		if err != nil {
			t.Fatalf("ParseBaseURL(%q): %v", tt.base, err)
		}
		got, err := EndpointURL(base, tt.segments...)
		if err != nil || got != tt.want {
			t.Errorf("EndpointURL(%q, %q) = %q, %v; want %q", tt.base, tt.segments, got, err, tt.want)
		}
	}
}

func TestParseBaseURL(t *testing.T) {
	for _, bad := range []string{"", "api.intercom.io", "ftp://h/", "https://", "https://user:pw@h/", "https://h/?q=1", "https://h/#f", "https://h/?", "://x"} {
		if _, err := ParseBaseURL(bad); err == nil {
			t.Errorf("ParseBaseURL(%q) = nil error", bad)
		}
	}
}
