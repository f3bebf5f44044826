package frontfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Tag is one of the company's tags.
type Tag struct{ ID, Name string }

// Tags are the company's tags; GET /tags serves them TagsPerPage at a time
// so that clients must follow _pagination.next.
var Tags = []Tag{
	{"tag_1", "billing"}, {"tag_2", "vip"}, {"tag_3", "refund"}, {"tag_4", "sample"}, {"tag_5", "Urgent"},
}

// TagsPerPage is the page size of GET /tags.
const TagsPerPage = 2

// Teammates are the teammates a conversation can be assigned to.
var Teammates = []string{DefaultTeammateID, "tea_agent2"}

// CustomFields are the company's conversation custom fields and the JSON
// type of their values ("string", "number", "boolean").
var CustomFields = map[string]string{"Plan": "string", "Region": "string", "Seats": "number"}

// Call is one valid action request.
type Call struct {
	Method         string
	Path           string
	ConversationID string         // "" for GET /tags
	Body           map[string]any // nil for a GET
}

// Conversation is what the fake knows of one conversation.
type Conversation struct {
	Status       string
	AssigneeID   string
	TagIDs       []string
	CustomFields map[string]any
}

// Calls returns the valid action requests, oldest first.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Conversation returns a copy of a conversation's state (one the fake has
// not seen is open, untagged, unassigned).
func (f *Fake) Conversation(id string) Conversation {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *f.conv(id)
	c.TagIDs, c.CustomFields = slices.Clone(c.TagIDs), maps.Clone(c.CustomFields)
	return c
}

// SetTags gives a conversation tags, by id.
func (f *Fake) SetTags(id string, tagIDs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conv(id).TagIDs = slices.Clone(tagIDs)
}

// SetCustomFields gives a conversation custom field values.
func (f *Fake) SetCustomFields(id string, fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conv(id).CustomFields = maps.Clone(fields)
}

// conv returns a conversation's state; f.mu is held.
func (f *Fake) conv(id string) *Conversation {
	if f.convs == nil {
		f.convs = map[string]*Conversation{}
	}
	c, ok := f.convs[id]
	if !ok {
		c = &Conversation{Status: "open", CustomFields: map[string]any{}}
		f.convs[id] = c
	}
	return c
}

// actionRoute reports the action endpoints: GET /tags, GET and PATCH
// /conversations/{id}, PUT .../assignee, POST .../tags.
func actionRoute(r *http.Request) (conv, sub string, ok bool) {
	parts := strings.Split(r.URL.EscapedPath(), "/")
	switch {
	case len(parts) == 2 && parts[1] == "tags":
		return "", "tags", true
	case len(parts) == 3 && parts[1] == "conversations":
		return parts[2], "", true
	case len(parts) == 4 && parts[1] == "conversations" && (parts[3] == "assignee" || parts[3] == "tags"):
		return parts[2], parts[3], true
	}
	return "", "", false
}

// serveAction answers an action endpoint; it reports false when the
// request is not one.
func (f *Fake) serveAction(w http.ResponseWriter, r *http.Request, raw []byte) bool {
	conv, sub, ok := actionRoute(r)
	if !ok {
		return false
	}
	want := map[string]string{"tags": http.MethodPost, "assignee": http.MethodPut, "": http.MethodPatch}[sub]
	if conv == "" || (sub == "" && r.Method == http.MethodGet) {
		want = http.MethodGet
	}
	if r.Method != want {
		f.refuse(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s on %s: want %s", r.Method, r.URL.EscapedPath(), want))
		return true
	}
	if id, err := url.PathUnescape(conv); err != nil || (conv != "" && !strings.HasPrefix(id, "cnv_")) {
		f.refuse(w, http.StatusNotFound, "conversation id "+conv+": not a cnv_ id")
		return true
	}
	status, probs := checkHeaders(r, want != http.MethodGet)
	if status != 0 {
		f.refuse(w, status, probs...)
		return true
	}
	if want == http.MethodGet {
		probs = append(probs, checkQuery(r.URL.Query(), conv == "")...)
	}
	var body map[string]any
	if want != http.MethodGet {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil || body == nil || dec.More() {
			probs = append(probs, "body is not one JSON object")
		} else {
			probs = append(probs, checkActionBody(sub, body)...)
		}
	}
	if len(probs) > 0 {
		f.refuse(w, http.StatusBadRequest, probs...)
		return true
	}

	f.mu.Lock()
	f.calls = append(f.calls, Call{Method: r.Method, Path: r.URL.EscapedPath(), ConversationID: conv, Body: body})
	var next *answer
	if len(f.answers) > 0 {
		next = &f.answers[0]
		f.answers = f.answers[1:]
	}
	var answerStatus int
	var out []byte
	if next == nil || next.status == 0 {
		answerStatus, out = f.applyAction(r, conv, sub, body)
	}
	f.mu.Unlock()

	h := w.Header()
	h.Set("Content-Type", "application/json")
	if next != nil {
		maps.Copy(h, next.header)
		if next.status != 0 {
			w.WriteHeader(next.status)
			_, _ = io.WriteString(w, next.body)
			return true
		}
	}
	w.WriteHeader(answerStatus)
	_, _ = w.Write(out)
	return true
}

// checkQuery allows the list parameters of GET /tags and nothing on a
// conversation.
func checkQuery(q url.Values, tags bool) []string {
	var probs []string
	for k := range q {
		if !tags || (k != "limit" && k != "page_token" && k != "sort_by" && k != "sort_order") {
			probs = append(probs, "unknown query parameter "+k)
		}
	}
	return probs
}

// checkActionBody checks an action body against the Core API schema of
// its endpoint.
func checkActionBody(sub string, body map[string]any) []string {
	var probs []string
	addf := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	allowed := map[string][]string{
		"tags":     {"tag_ids"},
		"assignee": {"assignee_id"},
		"":         {"assignee_id", "inbox_id", "status", "status_id", "tag_ids", "custom_fields"},
	}[sub]
	for _, k := range sortedKeys(body) {
		if !slices.Contains(allowed, k) {
			addf("%s: unknown key", k)
		}
	}
	switch sub {
	case "tags":
		ids, ok := body["tag_ids"].([]any)
		if !ok || len(ids) == 0 {
			addf("tag_ids: required, a non-empty list")
		}
		for _, id := range ids {
			if s, _ := id.(string); !slices.ContainsFunc(Tags, func(t Tag) bool { return t.ID == s }) {
				addf("tag_ids: %v is no tag of the company", id)
			}
		}
	case "assignee":
		v, ok := body["assignee_id"]
		if s, isStr := v.(string); !ok || (v != nil && (!isStr || !slices.Contains(Teammates, s))) {
			addf("assignee_id: %v is not a teammate id (or null to unassign)", v)
		}
	default:
		if st, ok := body["status"]; ok {
			if s, _ := st.(string); !slices.Contains([]string{"archived", "open", "deleted", "spam"}, s) {
				addf("status: %v is not one of archived, open, deleted, spam", st)
			}
			if _, both := body["status_id"]; both {
				addf("status and status_id: send one of the two")
			}
		}
		if cf, ok := body["custom_fields"]; ok {
			fields, isObj := cf.(map[string]any)
			if !isObj {
				addf("custom_fields: must be an object keyed by field name")
			}
			for _, name := range sortedKeys(fields) {
				want, known := CustomFields[name]
				if !known {
					addf("custom_fields.%s: no such custom field", name)
					continue
				}
				if got := jsonType(fields[name]); got != want && fields[name] != nil {
					addf("custom_fields.%s: must be a %s, not a %s", name, want, got)
				}
			}
		}
	}
	return probs
}

// applyAction changes the state as Front does and returns the answer;
// f.mu is held.
func (f *Fake) applyAction(r *http.Request, conv, sub string, body map[string]any) (int, []byte) {
	if conv == "" { // GET /tags
		start, _ := strconv.Atoi(r.URL.Query().Get("page_token"))
		end := min(start+TagsPerPage, len(Tags))
		results := []any{}
		for _, t := range Tags[min(start, end):end] {
			results = append(results, map[string]any{"id": t.ID, "name": t.Name, "is_private": false})
		}
		var next any
		if end < len(Tags) {
			next = f.srv.URL + "/tags?page_token=" + strconv.Itoa(end)
		}
		b, _ := json.Marshal(map[string]any{"_pagination": map[string]any{"next": next}, "_results": results})
		return http.StatusOK, b
	}
	c := f.conv(conv)
	switch {
	case r.Method == http.MethodGet:
		tags := []any{}
		for _, id := range c.TagIDs {
			for _, t := range Tags {
				if t.ID == id {
					tags = append(tags, map[string]any{"id": t.ID, "name": t.Name})
				}
			}
		}
		b, _ := json.Marshal(map[string]any{
			"id": conv, "subject": "Order #1001", "status": c.Status, "tags": tags, "custom_fields": c.CustomFields,
			"_links": map[string]any{"self": f.srv.URL + "/conversations/" + conv},
		})
		return http.StatusOK, b
	case sub == "tags":
		for _, id := range body["tag_ids"].([]any) {
			if !slices.Contains(c.TagIDs, id.(string)) {
				c.TagIDs = append(c.TagIDs, id.(string))
			}
		}
	case sub == "assignee":
		c.AssigneeID, _ = body["assignee_id"].(string)
	default:
		if st, ok := body["status"].(string); ok {
			c.Status = st
		}
		if cf, ok := body["custom_fields"].(map[string]any); ok {
			c.CustomFields = maps.Clone(cf) // fields left out are erased
		}
	}
	return http.StatusNoContent, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
