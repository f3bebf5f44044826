package chatwootfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultLabels are the labels the fake account has (Settings > Labels);
// Chatwoot drops any other label a client sends.
var DefaultLabels = []string{"billing", "refund", "sample", "vip"}

// Call is one valid action request (anything but a message).
type Call struct {
	Method         string
	Endpoint       string // "labels", "assignments", ..., "" for the conversation itself
	ConversationID string
	Body           map[string]any // numbers as json.Number; nil for a GET
}

// Conversation is what the fake knows of one conversation.
type Conversation struct {
	Labels       []string
	Status       string
	SnoozedUntil int64
	Priority     string // "" when none
	AssigneeID   int64
	TeamID       int64
	Attributes   map[string]any
}

// Calls returns the valid action requests, oldest first.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Conversation returns a copy of the conversation's state.
func (f *Fake) Conversation(id string) Conversation {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *f.conv(id)
	c.Labels = slices.Clone(c.Labels)
	c.Attributes = maps.Clone(c.Attributes)
	return c
}

// SetLabels gives a conversation labels (the account's own or not).
func (f *Fake) SetLabels(id string, labels ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conv(id).Labels = slices.Clone(labels)
}

// SetAttributes gives a conversation custom attributes.
func (f *Fake) SetAttributes(id string, attrs map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conv(id).Attributes = maps.Clone(attrs)
}

// conv returns the conversation's state, created open; f.mu is held.
func (f *Fake) conv(id string) *Conversation {
	c, ok := f.convs[id]
	if !ok {
		c = &Conversation{Status: "open", Labels: []string{}, Attributes: map[string]any{}}
		f.convs[id] = c
	}
	return c
}

// actionEndpoints are the conversation endpoints of actions and the
// method each takes.
var actionEndpoints = map[string]string{
	"labels": "", "assignments": http.MethodPost, "toggle_status": http.MethodPost,
	"toggle_priority": http.MethodPost, "custom_attributes": http.MethodPost,
}

// actionRoute splits /api/v1/accounts/{account}/conversations/{id}[/{endpoint}]
// for every endpoint but messages.
func (f *Fake) actionRoute(escaped string) (conv, endpoint string, ok bool) {
	parts := strings.Split(escaped, "/")
	if len(parts) < 7 || len(parts) > 8 || parts[0] != "" || parts[1] != "api" || parts[2] != "v1" ||
		parts[3] != "accounts" || parts[5] != "conversations" || parts[4] != f.accountID || !digits(parts[6]) {
		return "", "", false
	}
	if len(parts) == 7 {
		return parts[6], "", true
	}
	if _, known := actionEndpoints[parts[7]]; !known {
		return "", "", false
	}
	return parts[6], parts[7], true
}

// serveAction answers the label, assignment, status, priority and custom
// attribute endpoints, and GET of the conversation.
func (f *Fake) serveAction(w http.ResponseWriter, r *http.Request, conv, endpoint string) {
	refuse := func(ref *refusal) {
		f.mu.Lock()
		f.problems = append(f.problems, fmt.Sprintf("%s %s: %s", r.Method, r.URL.EscapedPath(), ref.problem))
		f.mu.Unlock()
		write(w, ref.status, nil, ref.body)
	}
	want := actionEndpoints[endpoint]
	switch {
	case endpoint == "":
		want = http.MethodGet
	case endpoint == "labels" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		want = r.Method
	}
	if r.Method != want {
		refuse(notFound("method " + r.Method + " on " + endpoint + ": want " + want))
		return
	}
	if ref := f.checkAuth(r); ref != nil {
		refuse(ref)
		return
	}
	problems := checkHeaders(r, want == http.MethodPost)
	var body map[string]any
	if want == http.MethodPost {
		var more []string
		body, more = decodeAction(r, endpoint)
		problems = append(problems, more...)
	}
	if len(problems) > 0 {
		refuse(unprocessable(problems))
		return
	}

	f.mu.Lock()
	f.calls = append(f.calls, Call{Method: r.Method, Endpoint: endpoint, ConversationID: conv, Body: body})
	next := f.next
	f.next = nil
	var answer []byte
	if next == nil || next.status == 0 {
		answer = f.apply(f.conv(conv), conv, endpoint, body)
	}
	f.mu.Unlock()

	if next != nil && next.status != 0 {
		write(w, next.status, next.header, []byte(next.body))
		return
	}
	var header http.Header
	if next != nil {
		header = next.header
	}
	write(w, http.StatusOK, header, answer)
}

// apply changes the conversation as Chatwoot would and returns the answer;
// f.mu is held.
func (f *Fake) apply(c *Conversation, id, endpoint string, body map[string]any) []byte {
	switch endpoint {
	case "":
		n, _ := strconv.ParseInt(id, 10, 64)
		var priority any
		if c.Priority != "" {
			priority = c.Priority
		}
		return mustJSON(map[string]any{
			"id": n, "account_id": f.accountID, "inbox_id": 3, "status": c.Status, "priority": priority,
			"labels": c.Labels, "custom_attributes": c.Attributes, "additional_attributes": map[string]any{},
			"meta": map[string]any{"sender": map[string]any{"id": 311, "type": "contact"}, "assignee": nil, "team": nil},
		})
	case "labels":
		if body != nil {
			// Chatwoot keeps only the labels the account has.
			c.Labels = c.Labels[:0]
			for _, l := range body["labels"].([]any) {
				if s := l.(string); slices.Contains(f.labels, s) && !slices.Contains(c.Labels, s) {
					c.Labels = append(c.Labels, s)
				}
			}
		}
		return mustJSON(map[string]any{"payload": c.Labels})
	case "assignments":
		if v, ok := body["assignee_id"]; ok {
			c.AssigneeID, _ = v.(json.Number).Int64()
			return mustJSON(map[string]any{"id": c.AssigneeID, "name": "Agent", "type": "user"})
		}
		c.TeamID, _ = body["team_id"].(json.Number).Int64()
		return mustJSON(map[string]any{"id": c.TeamID, "name": "Team"})
	case "toggle_status":
		c.Status = body["status"].(string)
		c.SnoozedUntil = 0
		if v, ok := body["snoozed_until"]; ok {
			c.SnoozedUntil, _ = v.(json.Number).Int64()
		}
		return mustJSON(map[string]any{"meta": map[string]any{}, "payload": map[string]any{
			"success": true, "conversation_id": id, "current_status": c.Status, "snoozed_until": c.SnoozedUntil}})
	case "toggle_priority":
		c.Priority = body["priority"].(string)
		if c.Priority == "none" {
			c.Priority = ""
		}
		return nil // head :ok
	case "custom_attributes":
		c.Attributes = maps.Clone(body["custom_attributes"].(map[string]any))
		return mustJSON(map[string]any{"custom_attributes": c.Attributes})
	}
	return nil
}

// decodeAction reads a POST body and checks it against the endpoint's
// request schema (PLATFORMS-NEXT.md §7.2): keys, types, enums.
func decodeAction(r *http.Request, endpoint string) (map[string]any, []string) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(raw) > maxBody {
		return nil, []string{"body unreadable or too large"}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil || body == nil || dec.More() {
		return nil, []string{"body is not one JSON object"}
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	known := map[string]map[string]string{
		"labels":            {"labels": "array"},
		"assignments":       {"assignee_id": "integer", "team_id": "integer"},
		"toggle_status":     {"status": "string", "snoozed_until": "integer"},
		"toggle_priority":   {"priority": "string"},
		"custom_attributes": {"custom_attributes": "object"},
	}[endpoint]
	for k, v := range body {
		want, ok := known[k]
		switch {
		case !ok:
			add("unknown key %q", k)
		case typeOf(v) != want:
			add("%s must be %s, not %s", k, want, typeOf(v))
		}
	}
	if len(problems) > 0 {
		return body, problems
	}
	switch endpoint {
	case "labels":
		list, ok := body["labels"].([]any)
		if !ok {
			add("labels is required")
		}
		for _, l := range list {
			if s, ok := l.(string); !ok || strings.TrimSpace(s) == "" {
				add("labels must be non-empty strings")
			}
		}
	case "assignments":
		a, hasA := body["assignee_id"]
		t, hasT := body["team_id"]
		switch {
		case !hasA && !hasT:
			add("assignee_id or team_id is required")
		case hasA && hasT:
			add("team_id is ignored next to assignee_id: send them apart")
		case hasA && !positive(a):
			add("assignee_id must be a positive id")
		case hasT && !positive(t):
			add("team_id must be a positive id")
		}
	case "toggle_status":
		st, _ := body["status"].(string)
		if !slices.Contains([]string{"open", "resolved", "pending", "snoozed"}, st) {
			add("status %q is not one of open, resolved, pending, snoozed", st)
		}
		if u, ok := body["snoozed_until"]; ok {
			n, _ := u.(json.Number).Int64()
			if st != "snoozed" {
				add("snoozed_until only goes with status snoozed")
			}
			if n <= time.Now().Unix() || n > time.Now().AddDate(10, 0, 0).Unix() {
				add("snoozed_until %d is not a future time in unix seconds", n)
			}
		}
	case "toggle_priority":
		p, _ := body["priority"].(string)
		if !slices.Contains([]string{"urgent", "high", "medium", "low", "none"}, p) {
			add("priority %q is not one of urgent, high, medium, low, none", p)
		}
	case "custom_attributes":
		if _, ok := body["custom_attributes"]; !ok {
			add("custom_attributes is required")
		}
	}
	return body, problems
}

func positive(v any) bool {
	n, err := v.(json.Number).Int64()
	return err == nil && n > 0
}
