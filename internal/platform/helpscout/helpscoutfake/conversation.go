package helpscoutfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Fields are the custom fields of the fake's inbox, by id: PUT /fields
// refuses any other id, as Help Scout does.
var Fields = map[int64]string{6688: "Account Type", 104: "Plan"}

// Call is one valid conversation request: GET, PATCH or PUT tags/fields.
type Call struct {
	Method         string
	Endpoint       string // "", "tags" or "fields"
	ConversationID string
	Body           any // decoded JSON (numbers as json.Number); nil for GET
}

// Conversation is what the fake knows of one conversation.
type Conversation struct {
	Status     string
	AssigneeID int64
	Tags       []string
	Fields     []Field
}

// Field is one custom field value of a conversation.
type Field struct {
	ID    int64
	Value string
}

// Calls returns the valid conversation requests, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Conversation returns a copy of a conversation's state (a conversation
// the fake has not seen is active, untagged and unassigned).
func (s *Server) Conversation(id string) Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *s.conv(id)
	c.Tags, c.Fields = slices.Clone(c.Tags), slices.Clone(c.Fields)
	return c
}

// SetTags gives a conversation tags.
func (s *Server) SetTags(id string, tags ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conv(id).Tags = slices.Clone(tags)
}

// SetFields gives a conversation custom field values.
func (s *Server) SetFields(id string, fields ...Field) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conv(id).Fields = slices.Clone(fields)
}

// conv returns a conversation's state; s.mu is held.
func (s *Server) conv(id string) *Conversation {
	c, ok := s.convs[id]
	if !ok {
		c = &Conversation{Status: "active"}
		s.convs[id] = c
	}
	return c
}

// serveConversation is GET and PATCH /v2/conversations/{id} and PUT
// /v2/conversations/{id}/tags and /fields.
func (s *Server) serveConversation(w http.ResponseWriter, r *http.Request, id, endpoint string, raw []byte) {
	what := r.Method + " conversation " + id
	if endpoint != "" {
		what += "/" + endpoint
	}
	want := http.MethodPut
	if endpoint == "" {
		want = http.MethodPatch
		if r.Method == http.MethodGet {
			want = http.MethodGet
		}
	}
	if r.Method != want {
		s.refuse(w, http.StatusMethodNotAllowed, what, []fieldError{{Message: "method " + r.Method + ", want " + want}})
		return
	}
	if !s.authorize(w, r, what, id, want != http.MethodGet) {
		return
	}
	var body any
	if want != http.MethodGet {
		var errs []fieldError
		body, errs = checkConversationBody(endpoint, raw)
		if len(errs) > 0 {
			s.refuse(w, http.StatusBadRequest, what, errs)
			return
		}
	}

	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: r.Method, Endpoint: endpoint, ConversationID: id, Body: body})
	s.mu.Unlock()
	s.rateLimitHeaders(w.Header())
	a, _ := s.answerQueued(&s.answers)
	if a.status != 0 {
		writeError(w, a.status, a.header, a.body)
		return
	}
	copyHeader(w.Header(), a.header)
	s.mu.Lock()
	c := s.conv(id)
	if want == http.MethodGet {
		out := conversationJSON(id, c)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/hal+json")
		w.WriteHeader(http.StatusOK)
		w.Write(out)
		return
	}
	apply(c, endpoint, body)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent) // every update answers 204
}

// apply changes a conversation the way a valid update does.
func apply(c *Conversation, endpoint string, body any) {
	switch endpoint {
	case "tags":
		c.Tags = c.Tags[:0]
		for _, t := range body.(map[string]any)["tags"].([]any) {
			c.Tags = append(c.Tags, t.(string))
		}
	case "fields":
		c.Fields = c.Fields[:0]
		for _, e := range body.(map[string]any)["fields"].([]any) {
			f := e.(map[string]any)
			id, _ := f["id"].(json.Number).Int64()
			c.Fields = append(c.Fields, Field{ID: id, Value: f["value"].(string)})
		}
	default:
		op := body.(map[string]any)
		switch op["path"] {
		case "/status":
			c.Status = op["value"].(string)
		case "/assignTo":
			c.AssigneeID = 0
			if op["op"] == "replace" {
				c.AssigneeID, _ = op["value"].(json.Number).Int64()
			}
		}
	}
}

// conversationJSON is the v2 Conversation object, the parts actions read.
func conversationJSON(id string, c *Conversation) []byte {
	n, _ := strconv.ParseInt(id, 10, 64)
	tags := []any{}
	for i, t := range c.Tags {
		tags = append(tags, map[string]any{"id": 9000 + i, "color": "#929499", "tag": t})
	}
	fields := []any{}
	for _, f := range c.Fields {
		fields = append(fields, map[string]any{"id": f.ID, "name": Fields[f.ID], "value": f.Value, "text": f.Value})
	}
	conv := map[string]any{
		"id": n, "number": 15000 + n, "threads": 1, "type": "email", "folderId": 493, "status": c.Status,
		"state": "published", "subject": "Need help", "mailboxId": 85, "tags": tags, "customFields": fields,
		"primaryCustomer": map[string]any{"id": 238604}, "createdBy": map[string]any{"id": 238604, "type": "customer"},
	}
	if c.AssigneeID != 0 {
		conv["assignee"] = map[string]any{"id": c.AssigneeID, "type": "user"}
	}
	b, _ := json.Marshal(conv)
	return b
}

// patchPaths are the JSON-Patch paths Update Conversation takes, with the
// op and value type each allows.
var patchPaths = map[string]struct {
	ops   []string
	value string // "string", "number", "bool"
}{
	"/subject":            {[]string{"replace"}, "string"},
	"/primaryCustomer.id": {[]string{"replace"}, "number"},
	"/draft":              {[]string{"replace"}, "bool"},
	"/mailboxId":          {[]string{"move"}, "number"},
	"/status":             {[]string{"replace"}, "string"},
	"/assignTo":           {[]string{"replace", "remove"}, "number"},
}

// checkConversationBody checks an update body against its endpoint's
// documented fields.
func checkConversationBody(endpoint string, raw []byte) (any, []fieldError) {
	var errs []fieldError
	add := func(path, msg string) { errs = append(errs, fieldError{Path: path, Message: msg}) }
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil || body == nil {
		add("", "the body is not a JSON object")
		return nil, errs
	}
	if _, err := dec.Token(); err != io.EOF {
		add("", "the body has data after the JSON object")
	}
	allowed := map[string][]string{"tags": {"tags"}, "fields": {"fields"}, "": {"op", "path", "value"}}[endpoint]
	for k := range body {
		if !slices.Contains(allowed, k) {
			add(k, "unknown field")
		}
	}
	switch endpoint {
	case "tags":
		list, ok := body["tags"].([]any)
		if !ok {
			add("tags", "may not be null and must be a list")
		}
		for i, t := range list {
			if s, ok := t.(string); !ok || strings.TrimSpace(s) == "" {
				add("tags["+strconv.Itoa(i)+"]", "must be a non-empty string")
			}
		}
	case "fields":
		list, ok := body["fields"].([]any)
		if !ok {
			add("fields", "may not be null and must be a list")
		}
		for i, e := range list {
			path := "fields[" + strconv.Itoa(i) + "]"
			f, ok := e.(map[string]any)
			if !ok {
				add(path, "must be an object")
				continue
			}
			for k := range f {
				if k != "id" && k != "value" {
					add(path+"."+k, "unknown field")
				}
			}
			if !isIDNumber(f["id"]) {
				add(path+".id", "must be a custom field id (a number)")
			} else if id, _ := f["id"].(json.Number).Int64(); Fields[id] == "" {
				add(path+".id", "no such custom field in this inbox")
			}
			if !isString(f["value"]) {
				add(path+".value", "must be a string")
			}
		}
	default:
		checkPatch(body, add)
	}
	return body, errs
}

// checkPatch checks one JSON-Patch operation of Update Conversation.
func checkPatch(body map[string]any, add func(path, msg string)) {
	op, _ := body["op"].(string)
	path, _ := body["path"].(string)
	rule, known := patchPaths[path]
	switch {
	case !known:
		add("path", "must be one of /assignTo, /draft, /mailboxId, /primaryCustomer.id, /status, /subject")
		return
	case !slices.Contains(rule.ops, op):
		add("op", "must be "+strings.Join(rule.ops, " or ")+" for "+path)
		return
	}
	v, has := body["value"]
	if op == "remove" {
		if has {
			add("value", "remove takes no value")
		}
		return
	}
	switch rule.value {
	case "string":
		if s, ok := v.(string); !ok || s == "" {
			add("value", "must be a non-empty string")
		}
	case "number":
		if !isIDNumber(v) {
			add("value", "must be an id (a number)")
		}
	case "bool":
		if !isBool(v) {
			add("value", "must be a boolean")
		}
	}
	if st, _ := v.(string); path == "/status" && !slices.Contains([]string{"active", "pending", "closed", "spam"}, st) {
		add("value", "must be one of active, pending, closed, spam")
	}
}
