package replier

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// classifyStatus is the one table mapping a non-2xx HTTP status to a
// failure reason and whether sending the same request again may succeed.
func classifyStatus(status int) (Reason, bool) {
	switch {
	case status == http.StatusRequestTimeout:
		return ReasonTimeout, true
	case status == http.StatusTooManyRequests:
		return ReasonRateLimited, true
	case status >= 500:
		return ReasonServerError, true
	default:
		// Other 4xx, and 1xx/3xx (redirects are never followed): sending
		// the same request again will fail the same way.
		return ReasonClientError, false
	}
}

// parseRateLimit reads Intercom-style X-RateLimit-* headers. Known is set
// when the platform said both the limit and what remains of it; Reset is
// filled when X-RateLimit-Reset (unix seconds) is present.
func parseRateLimit(h http.Header) RateLimit {
	var rl RateLimit
	limit, limitErr := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Limit")))
	remaining, remErr := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining")))
	if limitErr == nil && remErr == nil && limit >= 0 && remaining >= 0 {
		rl.Known = true
		rl.Limit = limit
		rl.Remaining = remaining
	}
	if reset, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64); err == nil && reset > 0 {
		rl.Reset = time.Unix(reset, 0)
	}
	return rl
}

// retryAfter says how long the platform asked us to wait: Retry-After in
// seconds or as an HTTP date, else (on a 429) until the rate-limit window
// resets. Zero means it did not say.
func retryAfter(status int, h http.Header, rl RateLimit, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			if secs < 0 {
				return 0
			}
			// Cap before multiplying so an absurd value cannot overflow.
			const maxSecs = int64(24 * time.Hour / time.Second)
			return time.Duration(min(secs, maxSecs)) * time.Second
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(now), 0)
		}
	}
	if status == http.StatusTooManyRequests && !rl.Reset.IsZero() {
		return max(rl.Reset.Sub(now), 0)
	}
	return 0
}
