package helpscoutfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Keys of the two bodies, from Create Reply Thread and Create Note.
var (
	replyKeys = []string{"text", "customer", "draft", "imported", "status", "user", "assignTo",
		"cc", "bcc", "createdAt", "attachments"}
	noteKeys      = []string{"text", "user", "status", "attachments"}
	customerKeys  = []string{"id", "email"}
	attachKeys    = []string{"fileName", "mimeType", "data"}
	threadStatus  = []string{"active", "all", "closed", "open", "pending", "spam"}
	maxTextLength = 1 << 18 // generous; Help Scout documents none
)

// serveThread is POST /v2/conversations/{id}/reply and /notes.
func (s *Server) serveThread(w http.ResponseWriter, r *http.Request, id, endpoint string, raw []byte) {
	what := endpoint + " to conversation " + id
	if r.Method != http.MethodPost {
		s.refuse(w, http.StatusMethodNotAllowed, what, []fieldError{{Message: "method " + r.Method + ", want POST"}})
		return
	}
	if !s.authorize(w, r, what, id, true) {
		return
	}
	body, errs := checkBody(endpoint, raw)
	if len(errs) > 0 {
		s.refuse(w, http.StatusBadRequest, what, errs)
		return
	}

	s.mu.Lock()
	s.requests = append(s.requests, Request{Endpoint: endpoint, ConversationID: id, Header: r.Header.Clone(), Body: body})
	s.nextThreadID++
	threadID := s.nextThreadID
	s.mu.Unlock()

	s.rateLimitHeaders(w.Header())
	a, _ := s.answerQueued(&s.answers)
	if a.status != 0 {
		writeError(w, a.status, a.header, a.body)
		return
	}
	// Help Scout answers 201 with no body; the thread's id is in
	// Resource-ID.
	w.Header().Set("Resource-ID", strconv.FormatInt(threadID, 10))
	copyHeader(w.Header(), a.header)
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, a.body)
}

// authorize checks what every API call sends: a Bearer token the token
// endpoint issued and still valid, a conversation id, a JSON body
// (withBody) and an Accept that admits JSON. It answers and returns false
// when the request fails.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, what, id string, withBody bool) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	issued, valid := s.tokenState(token)
	if !ok || !issued {
		s.refuse(w, http.StatusUnauthorized, what, []fieldError{{Message: "Authorization is not a Bearer token the token endpoint issued"}})
		return false
	}
	if !valid {
		// An expired or revoked token: the client is expected to get a
		// new one; not a problem of the request.
		writeError(w, http.StatusUnauthorized, nil, vndError(s.nextLogRef(), "Unauthorized: the access token expired", nil))
		return false
	}
	if !isID(id) {
		s.refuse(w, http.StatusNotFound, what, []fieldError{{Message: "the conversation id is not a positive whole number"}})
		return false
	}
	if mt := mediaType(r.Header.Get("Content-Type")); withBody && mt != "application/json" {
		s.refuse(w, http.StatusUnsupportedMediaType, what, []fieldError{{Message: "Content-Type " + r.Header.Get("Content-Type") + ", want application/json"}})
		return false
	}
	if !withBody && (r.ContentLength > 0 || r.Header.Get("Content-Type") != "") {
		s.refuse(w, http.StatusBadRequest, what, []fieldError{{Message: "a GET takes no body"}})
		return false
	}
	if !acceptsJSON(r.Header.Get("Accept")) {
		s.refuse(w, http.StatusNotAcceptable, what, []fieldError{{Message: "Accept " + r.Header.Get("Accept") + " does not admit JSON"}})
		return false
	}
	return true
}

// checkBody validates a thread body against its endpoint's fields.
func checkBody(endpoint string, raw []byte) (map[string]any, []fieldError) {
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

	allowed := noteKeys
	if endpoint == "reply" {
		allowed = replyKeys
	}
	for k := range body {
		if !slices.Contains(allowed, k) {
			add(k, "unknown field")
		}
	}
	switch text, ok := body["text"].(string); {
	case !ok:
		add("text", "may not be null and must be a string")
	case strings.TrimSpace(text) == "":
		add("text", "may not be empty")
	case len(text) > maxTextLength:
		add("text", "too long")
	}
	if v, ok := body["status"]; ok {
		if st, _ := v.(string); !slices.Contains(threadStatus, st) {
			add("status", "must be one of "+strings.Join(threadStatus, ", "))
		}
	}
	if v, ok := body["user"]; ok && !isIDNumber(v) {
		add("user", "must be a user id (a number)")
	}
	if v, ok := body["attachments"]; ok {
		checkAttachments(v, add)
	}
	if endpoint == "reply" {
		checkReply(body, add)
	}
	return body, errs
}

func checkReply(body map[string]any, add func(path, msg string)) {
	c, present := body["customer"]
	customer, ok := c.(map[string]any)
	switch {
	case !present || c == nil:
		add("customer", "may not be null")
	case !ok:
		add("customer", "must be an object")
	default:
		for k := range customer {
			if !slices.Contains(customerKeys, k) {
				add("customer."+k, "unknown field")
			}
		}
		id, hasID := customer["id"]
		email, hasEmail := customer["email"]
		switch {
		case hasID && !isIDNumber(id):
			add("customer.id", "must be a customer id (a positive number)")
		case hasEmail && !isString(email):
			add("customer.email", "must be a string")
		case !hasID && !hasEmail:
			add("customer", "needs an id or an email")
		}
	}
	for _, k := range []string{"draft", "imported"} {
		if v, ok := body[k]; ok && !isBool(v) {
			add(k, "must be a boolean")
		}
	}
	if v, ok := body["assignTo"]; ok && v != nil && !isIDNumber(v) {
		add("assignTo", "must be a user id (a number)")
	}
	for _, k := range []string{"cc", "bcc"} {
		if v, ok := body[k]; ok && !isStringList(v) {
			add(k, "must be a list of email addresses")
		}
	}
	if v, ok := body["createdAt"]; ok {
		if !isString(v) {
			add("createdAt", "must be a string")
		}
		if body["imported"] != true {
			add("createdAt", "only allowed with imported: true")
		}
	}
}

func checkAttachments(v any, add func(path, msg string)) {
	list, ok := v.([]any)
	if !ok {
		add("attachments", "must be a list")
		return
	}
	for i, e := range list {
		path := "attachments[" + strconv.Itoa(i) + "]"
		a, ok := e.(map[string]any)
		if !ok {
			add(path, "must be an object")
			continue
		}
		for k := range a {
			if !slices.Contains(attachKeys, k) {
				add(path+"."+k, "unknown field")
			}
		}
		for _, k := range attachKeys {
			if s, ok := a[k].(string); !ok || s == "" {
				add(path+"."+k, "may not be empty")
			}
		}
		if d, ok := a["data"].(string); ok {
			if _, err := base64.StdEncoding.DecodeString(d); err != nil {
				add(path+".data", "must be base64")
			}
		}
	}
}

func isString(v any) bool { _, ok := v.(string); return ok }
func isBool(v any) bool   { _, ok := v.(bool); return ok }

func isStringList(v any) bool {
	list, ok := v.([]any)
	if !ok {
		return false
	}
	for _, e := range list {
		if !isString(e) {
			return false
		}
	}
	return true
}

// isIDNumber reports a JSON number that is a positive integer: Help Scout
// ids are numbers in request bodies, not strings.
func isIDNumber(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return err == nil && i > 0
}

// isID reports a path id: a positive whole number.
func isID(s string) bool {
	i, err := strconv.ParseInt(s, 10, 64)
	return err == nil && i > 0 && strconv.FormatInt(i, 10) == s
}
