package zendesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/platform/payload"
	"github.com/supportops/autoresponder/internal/replier"
)

// responseID reads what a successful update created. The answer is
// {"ticket": {...}, "audit": {"id", "events": [...]}} (the audit is not
// in the reference's verified facts): the id is the audit's Comment event
// (the comment just added), else the audit, else the ticket. A body
// without a ticket id is not an answer to a ticket update.
func responseID(body []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", errors.New("update accepted but the response is not JSON")
	}
	root := payload.Object(v)
	ticket := payload.Object(root["ticket"])
	if ticket == nil {
		return "", errors.New("update accepted but the response has no ticket object")
	}
	ticketID := payload.Str(ticket["id"])
	if ticketID == "" {
		return "", errors.New("update accepted but the response's ticket has no id")
	}
	audit := payload.Object(root["audit"])
	events, _ := audit["events"].([]any)
	for _, e := range slices.Backward(events) {
		if ev := payload.Object(e); ev["type"] == "Comment" {
			if id := payload.Str(ev["id"]); id != "" {
				return id, nil
			}
		}
	}
	if id := payload.Str(audit["id"]); id != "" {
		return id, nil
	}
	return ticketID, nil
}

// errorMessage renders Zendesk's error body: {"error": "RecordInvalid",
// "description": "...", "details": {"base": [{"description": "...",
// "error": "..."}]}}. "error" is a bare message on some statuses ("Couldn't
// authenticate you") and an object {"title", "message"} on others. Anything
// else falls back to a snippet of the body.
func (r *Replier) errorMessage(resp *httpapi.Response) string {
	var body map[string]any
	if json.Unmarshal(resp.Body, &body) != nil {
		return r.client.BodyMessage(resp)
	}
	var parts []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	switch e := body["error"].(type) {
	case string:
		add(e)
	case map[string]any:
		add(payload.Str(e["title"]))
		add(payload.Str(e["message"]))
	}
	add(payload.Str(body["description"]))
	msg := strings.Join(parts, ": ")
	if d := details(payload.Object(body["details"])); d != "" {
		msg += " (" + d + ")"
	}
	if strings.TrimSpace(msg) == "" {
		return r.client.BodyMessage(resp)
	}
	return r.client.PlatformMessage(msg)
}

// details renders {"field": [{"description": ...}]} as "field: description;
// ...", fields sorted.
func details(d map[string]any) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		items, _ := d[k].([]any)
		for _, it := range items {
			desc := payload.Str(it)
			if o := payload.Object(it); o != nil {
				if desc = payload.Str(o["description"]); desc == "" {
					desc = payload.Str(o["error"])
				}
			}
			if desc != "" {
				out = append(out, k+": "+desc)
			}
		}
	}
	return strings.Join(out, "; ")
}

// rateLimit reads Zendesk's two sets of headers: X-Rate-Limit and
// X-Rate-Limit-Remaining (the account's per-minute limit, on every
// answer) and ratelimit-limit, -remaining, -reset (seconds), which some
// endpoints add for their own limit. When both are there the one with
// fewer requests left is the one that binds.
func rateLimit(h http.Header, now time.Time) replier.RateLimit {
	account := httpapi.RateLimitFrom(h, "X-Rate-Limit", "X-Rate-Limit-Remaining", "", httpapi.ResetDeltaSeconds, now)
	endpoint := httpapi.RateLimitFrom(h, "Ratelimit-Limit", "Ratelimit-Remaining", "Ratelimit-Reset", httpapi.ResetDeltaSeconds, now)
	switch {
	case !account.Known:
		return endpoint
	case !endpoint.Known:
		return account
	case account.Remaining < endpoint.Remaining:
		return account
	default:
		return endpoint
	}
}
