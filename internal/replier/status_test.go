package replier

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestClassifyStatus(t *testing.T) {
	tests := []struct {
		status    int
		want      Reason
		wantRetry bool
	}{
		{301, ReasonClientError, false},
		{302, ReasonClientError, false},
		{400, ReasonClientError, false},
		{401, ReasonClientError, false},
		{403, ReasonClientError, false},
		{404, ReasonClientError, false},
		{408, ReasonTimeout, true},
		{409, ReasonClientError, false},
		{410, ReasonClientError, false},
		{422, ReasonClientError, false},
		{429, ReasonRateLimited, true},
		{500, ReasonServerError, true},
		{502, ReasonServerError, true},
		{503, ReasonServerError, true},
		{504, ReasonServerError, true},
		{599, ReasonServerError, true},
	}
	for _, tt := range tests {
		got, retry := classifyStatus(tt.status)
		if got != tt.want || retry != tt.wantRetry {
			t.Errorf("classifyStatus(%d) = %s, %v; want %s, %v", tt.status, got, retry, tt.want, tt.wantRetry)
		}
	}
}

func TestParseRateLimit(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   RateLimit
	}{
		{"all three", http.Header{"X-Ratelimit-Limit": {"167"}, "X-Ratelimit-Remaining": {"12"}, "X-Ratelimit-Reset": {"1700000010"}},
			RateLimit{Known: true, Limit: 167, Remaining: 12, Reset: time.Unix(1700000010, 0)}},
		{"none", http.Header{}, RateLimit{}},
		{"no reset", http.Header{"X-Ratelimit-Limit": {"10"}, "X-Ratelimit-Remaining": {"0"}}, RateLimit{Known: true, Limit: 10}},
		{"garbage remaining", http.Header{"X-Ratelimit-Limit": {"10"}, "X-Ratelimit-Remaining": {"lots"}, "X-Ratelimit-Reset": {"1700000010"}},
			RateLimit{Reset: time.Unix(1700000010, 0)}},
		{"negative", http.Header{"X-Ratelimit-Limit": {"-1"}, "X-Ratelimit-Remaining": {"3"}}, RateLimit{}},
		{"spaces", http.Header{"X-Ratelimit-Limit": {" 5 "}, "X-Ratelimit-Remaining": {" 4"}}, RateLimit{Known: true, Limit: 5, Remaining: 4}},
	}
	for _, tt := range tests {
		got := parseRateLimit(tt.header)
		if got.Known != tt.want.Known || got.Limit != tt.want.Limit || got.Remaining != tt.want.Remaining || !got.Reset.Equal(tt.want.Reset) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	reset := RateLimit{Known: true, Limit: 10, Reset: now.Add(8 * time.Second)}
	tests := []struct {
		name   string
		status int
		value  string
		rl     RateLimit
		want   time.Duration
	}{
		{"seconds", 429, "7", RateLimit{}, 7 * time.Second},
		{"seconds beat reset", 429, "3", reset, 3 * time.Second},
		{"zero seconds", 429, "0", reset, 0},
		{"negative seconds", 429, "-5", RateLimit{}, 0},
		{"huge seconds capped", 429, "99999999999999", RateLimit{}, 24 * time.Hour},
		{"HTTP date", 429, now.Add(90 * time.Second).Format(http.TimeFormat), RateLimit{}, 90 * time.Second},
		{"HTTP date in the past", 503, now.Add(-time.Minute).Format(http.TimeFormat), RateLimit{}, 0},
		{"no header, reset", 429, "", reset, 8 * time.Second},
		{"garbage header, reset", 429, "soon", reset, 8 * time.Second},
		{"reset passed", 429, "", RateLimit{Reset: now.Add(-time.Second)}, 0},
		{"nothing said", 429, "", RateLimit{}, 0},
		{"503 with seconds", 503, "30", RateLimit{}, 30 * time.Second},
		{"503 ignores reset", 503, "", reset, 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		if got := retryAfter(tt.status, h, tt.rl, now); got != tt.want {
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
	for _, tt := range tests {
		if got := snippet([]byte(tt.in), token); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	got := snippet([]byte(long), token)
	if len(got) > maxSnippetBytes || !utf8.ValidString(got) || !strings.HasSuffix(got, "...") {
		t.Errorf("long snippet: %d bytes, valid %v: %q", len(got), utf8.ValidString(got), got)
	}
	// The token straddles the cut: it must go before cutting, leaving no prefix behind.
	straddle := strings.Repeat("x", maxSnippetBytes-6) + token
	if got := snippet([]byte(straddle), token); strings.Contains(got, token[:5]) {
		t.Errorf("a piece of the token survived the cut: %q", got)
	}
}

func TestCheckPathID(t *testing.T) {
	for _, id := range []string{"123", "last", "6762f1571bb69f9f2193bbbb", "a?b", "a#b", "a;b", "a:b"} {
		if err := checkPathID(id); err != nil {
			t.Errorf("checkPathID(%q) = %v, want nil", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", "../admins", "a/b", "/", `a\b`, "%2F", "%2e%2e", "a b", "a\nb", "a\x00b"} {
		if err := checkPathID(id); err == nil {
			t.Errorf("checkPathID(%q) = nil, want an error", id)
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
		base, err := parseBaseURL(tt.base)
		if err != nil {
			t.Fatalf("parseBaseURL(%q): %v", tt.base, err)
		}
		got, err := endpointURL(base, tt.segments...)
		if err != nil || got != tt.want {
			t.Errorf("endpointURL(%q, %q) = %q, %v; want %q", tt.base, tt.segments, got, err, tt.want)
		}
	}
}

func TestParseBaseURL(t *testing.T) {
	for _, bad := range []string{"", "api.intercom.io", "ftp://h/", "https://", "https://user:pw@h/", "https://h/?q=1", "https://h/#f", "https://h/?", "://x"} {
		if _, err := parseBaseURL(bad); err == nil {
			t.Errorf("parseBaseURL(%q) = nil error", bad)
		}
	}
}

func TestPHPSerialize(t *testing.T) {
	// Expected values are what PHP's serialize() prints for the same array.
	tests := []struct {
		in   map[string]string
		want string
	}{
		{map[string]string{}, `a:0:{}`},
		{map[string]string{"foo": "bar"}, `a:1:{s:3:"foo";s:3:"bar";}`},
		{map[string]string{"1": "Google"}, `a:1:{i:1;s:6:"Google";}`},
		{map[string]string{"b": "2", "a": "1"}, `a:2:{s:1:"a";s:1:"1";s:1:"b";s:1:"2";}`},
		{map[string]string{"07": "x", "-3": "y", "1.5": "z"}, `a:3:{i:-3;s:1:"y";s:2:"07";s:1:"x";s:3:"1.5";s:1:"z";}`},
		{map[string]string{"café": `say "hi";`}, `a:1:{s:5:"café";s:9:"say "hi";";}`},
		{map[string]string{"-0": ""}, `a:1:{s:2:"-0";s:0:"";}`},
	}
	for _, tt := range tests {
		if got := phpSerialize(tt.in); got != tt.want {
			t.Errorf("phpSerialize(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
