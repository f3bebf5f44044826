// Package freshdeskfake is a strict fake of the Freshdesk API v2 endpoints
// the bot calls (ticket reply and note; reading and updating a ticket for
// actions), and the platform's contract Suite. It keeps each ticket's
// state, so a test can see that adding tags kept the others.
//
// Every request is checked against the documented API: method, path, Basic
// auth with the account's API key, content type, and the JSON body's keys
// and types (unknown keys refused, required keys present). A request that
// does not fit is answered in Freshdesk's own error shape and recorded as a
// problem, so a test that ends with no problems proves the requests were
// right.
package freshdeskfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/freshdesk"
)

// Defaults of a fake account.
const (
	APIKey     = "fake-freshdesk-api-key-3f9c2a"
	BotAgentID = "9001"
	rateTotal  = 3000
)

// Request is one valid request the fake saw.
type Request struct {
	Method   string
	Endpoint string // "reply", "notes" or "ticket" (GET or PUT /api/v2/tickets/{id})
	TicketID string
	Body     map[string]any // numbers are json.Number; nil for a GET
	Header   http.Header
}

// EndpointTicket is Request.Endpoint of GET and PUT /api/v2/tickets/{id}.
const EndpointTicket = "ticket"

// Ticket is what the fake knows of a ticket: what the bot's updates set
// and what a test seeded. A ticket the fake has not seen is open, low
// priority, untagged and unassigned.
type Ticket struct {
	Tags                 []string
	Status, Priority     int
	ResponderID, GroupID int64
	CustomFields         map[string]any
}

type answer struct {
	status int
	header http.Header
	body   string
}

// Server is a running fake.
type Server struct {
	ts     *httptest.Server
	apiKey string

	mu       sync.Mutex
	answers  []answer
	requests []Request
	problems []string
	nextID   int64
	used     int
	tickets  map[string]*Ticket
}

// New starts a fake for one test; it is closed when the test ends.
func New(t testing.TB) *Server {
	s := Start(APIKey)
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake accepting apiKey; Close it when done.
func Start(apiKey string) *Server {
	s := &Server{apiKey: apiKey, nextID: 5000, tickets: map[string]*Ticket{}}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close shuts the fake down.
func (s *Server) Close() { s.ts.Close() }

// BaseURL is the account's base_url.
func (s *Server) BaseURL() string { return s.ts.URL }

// Settings are account settings naming the bot agent.
func (s *Server) Settings() map[string]string {
	return map[string]string{freshdesk.SettingAgentID: BotAgentID}
}

// Secrets are the account's secrets.
func (s *Server) Secrets() map[string]string {
	return map[string]string{freshdesk.SettingAPIKey: s.apiKey}
}

// Answer queues the answer to the next valid request: status 0 is the
// normal success with header added.
func (s *Server) Answer(status int, header http.Header, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, answer{status, header.Clone(), body})
}

// Accepted counts the valid requests.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Requests returns the valid requests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Problems lists what the strict checks refused.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

// SetTags gives a ticket its current tags, as if an agent had added them.
func (s *Server) SetTags(ticketID string, tags ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ticket(ticketID).Tags = append([]string{}, tags...)
}

// Ticket returns a copy of what the fake knows of a ticket.
func (s *Server) Ticket(ticketID string) Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := *s.ticket(ticketID)
	t.Tags = append([]string{}, t.Tags...)
	t.CustomFields = maps.Clone(t.CustomFields)
	return t
}

// ticket is a ticket's state, created on first use; s.mu is held.
func (s *Server) ticket(id string) *Ticket {
	t, ok := s.tickets[id]
	if !ok {
		t = &Ticket{Tags: []string{}, Status: 2, Priority: 1}
		s.tickets[id] = t
	}
	return t
}

// ErrorBody is Freshdesk's validation error carrying message.
func (s *Server) ErrorBody(message string) string {
	return validationError(fieldError{"body", message, "invalid_value"})
}

// fieldError is one entry of a validation failure.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

func validationError(errs ...fieldError) string {
	b, _ := json.Marshal(map[string]any{"description": "Validation failed", "errors": errs})
	return string(b)
}

func codeError(code, message string) string {
	b, _ := json.Marshal(map[string]string{"code": code, "message": message})
	return string(b)
}

// refusal is a request that broke the documented API.
type refusal struct {
	status int
	body   string
	why    []string
}

var pathPattern = regexp.MustCompile(`^/api/v2/tickets/([1-9][0-9]{0,19})(?:/(reply|notes))?$`)

// maxBody bounds what the fake reads; real replies are far smaller.
const maxBody = 1 << 20

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req, ref := s.check(r)
	if ref != nil {
		s.mu.Lock()
		s.problems = append(s.problems, fmt.Sprintf("%s %s: %s", r.Method, r.URL.RequestURI(), strings.Join(ref.why, "; ")))
		s.mu.Unlock()
		s.write(w, ref.status, nil, ref.body)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, *req)
	var a answer
	if len(s.answers) > 0 {
		a, s.answers = s.answers[0], s.answers[1:]
	}
	s.nextID++
	id := s.nextID
	// A refusal scripted by a test changes nothing, as on Freshdesk.
	if a.status == 0 && req.Method == http.MethodPut {
		s.apply(req)
	}
	t := s.ticket(req.TicketID)
	var ok string
	okStatus := http.StatusCreated
	if req.Endpoint == EndpointTicket {
		ok, okStatus = ticketJSON(req.TicketID, t), http.StatusOK
	} else {
		ok = conversation(id, req)
	}
	s.mu.Unlock()
	if a.status != 0 {
		s.write(w, a.status, a.header, a.body)
		return
	}
	s.write(w, okStatus, a.header, ok)
}

// apply changes a ticket as an update says; s.mu is held. Tags are
// replaced, as Freshdesk does: the bot must send the union.
func (s *Server) apply(req *Request) {
	t := s.ticket(req.TicketID)
	num := func(v any) int64 {
		n, _ := v.(json.Number).Int64()
		return n
	}
	for k, v := range req.Body {
		switch k {
		case "tags":
			t.Tags = t.Tags[:0]
			for _, tag := range v.([]any) {
				t.Tags = append(t.Tags, tag.(string))
			}
		case "status":
			t.Status = int(num(v))
		case "priority":
			t.Priority = int(num(v))
		case "responder_id":
			t.ResponderID = num(v)
		case "group_id":
			t.GroupID = num(v)
		case "custom_fields":
			if t.CustomFields == nil {
				t.CustomFields = map[string]any{}
			}
			for name, val := range v.(map[string]any) {
				t.CustomFields[name] = val
			}
		}
	}
}

// ticketJSON is a ticket as GET and PUT /api/v2/tickets/{id} answer it.
func ticketJSON(id string, t *Ticket) string {
	tid, _ := strconv.ParseInt(id, 10, 64)
	now := time.Now().UTC().Format(time.RFC3339)
	var responder, group any
	if t.ResponderID != 0 {
		responder = t.ResponderID
	}
	if t.GroupID != 0 {
		group = t.GroupID
	}
	cf := t.CustomFields
	if cf == nil {
		cf = map[string]any{}
	}
	b, _ := json.Marshal(map[string]any{
		"id": tid, "subject": "Invoice is wrong", "status": t.Status, "priority": t.Priority, "source": 1,
		"tags": t.Tags, "responder_id": responder, "group_id": group, "custom_fields": cf,
		"requester_id": 7001, "type": "Question", "created_at": now, "updated_at": now,
	})
	return string(b)
}

// write answers with the rate-limit headers Freshdesk puts on every
// response, then the scripted ones (which may override them).
func (s *Server) write(w http.ResponseWriter, status int, extra http.Header, body string) {
	s.mu.Lock()
	s.used++
	remaining := max(rateTotal-s.used, 0)
	s.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-RateLimit-Total", strconv.Itoa(rateTotal))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Used-CurrentRequest", "1")
	for k, vs := range extra {
		h[k] = vs
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// conversation is the 201 body: the created reply or note.
func conversation(id int64, req *Request) string {
	now := time.Now().UTC().Format(time.RFC3339)
	tid, _ := strconv.ParseInt(req.TicketID, 10, 64)
	agent, _ := strconv.ParseInt(BotAgentID, 10, 64)
	c := map[string]any{
		"id": id, "body": req.Body["body"], "incoming": false, "user_id": agent, "ticket_id": tid,
		"attachments": []any{}, "created_at": now, "updated_at": now,
	}
	if req.Endpoint == "notes" {
		c["private"] = true
		if p, ok := req.Body["private"].(bool); ok {
			c["private"] = p
		}
		c["source"] = 2
		c["notified_to_emails"] = []any{}
	} else {
		c["private"] = false
		c["source"] = 0
		c["to_emails"] = []any{"customer@example.com"}
		c["cc_emails"] = []any{}
		c["bcc_emails"] = []any{}
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// check validates one request against the documented API.
func (s *Server) check(r *http.Request) (*Request, *refusal) {
	m := pathPattern.FindStringSubmatch(r.URL.EscapedPath())
	if m == nil || r.URL.RawQuery != "" {
		return nil, &refusal{http.StatusNotFound, codeError("invalid_url", "This URL is not valid"), []string{"path is not /api/v2/tickets/{id}, /reply or /notes without a query"}}
	}
	endpoint, want := m[2], []string{http.MethodPost}
	if endpoint == "" {
		endpoint, want = EndpointTicket, []string{http.MethodGet, http.MethodPut}
	}
	if !slices.Contains(want, r.Method) {
		msg := strings.Join(want, ", ") + " method is allowed"
		return nil, &refusal{http.StatusMethodNotAllowed, codeError("method_not_allowed", msg), []string{"method " + r.Method + ", want " + strings.Join(want, " or ")}}
	}
	if !s.authorised(r.Header.Values("Authorization")) {
		return nil, &refusal{http.StatusUnauthorized, codeError("invalid_credentials", "You have to be logged in to perform this action."), []string{"Authorization is not Basic <api key>:<password>"}}
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(data) > maxBody {
		return nil, &refusal{http.StatusBadRequest, codeError("invalid_json", "Request body has invalid json format"), []string{"body unreadable or too large"}}
	}
	req := &Request{Method: r.Method, Endpoint: endpoint, TicketID: m[1], Header: r.Header.Clone()}
	if r.Method == http.MethodGet {
		if len(data) > 0 {
			return nil, &refusal{http.StatusBadRequest, codeError("invalid_json", "Request body has invalid json format"), []string{"a GET carries no body"}}
		}
		return req, nil
	}
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		return nil, &refusal{http.StatusUnsupportedMediaType, codeError("invalid_content_type", "Content-Type header should have application/json"), []string{"Content-Type " + strconv.Quote(ct) + ", want application/json"}}
	}
	body, err := decodeObject(data)
	if err != nil {
		return nil, &refusal{http.StatusBadRequest, codeError("invalid_json", "Request body has invalid json format"), []string{err.Error()}}
	}
	if errs := checkBody(endpoint, body); len(errs) > 0 {
		why := make([]string, len(errs))
		for i, e := range errs {
			why[i] = e.Field + ": " + e.Message
		}
		return nil, &refusal{http.StatusBadRequest, validationError(errs...), why}
	}
	req.Body = body
	return req, nil
}

// authorised accepts exactly one Basic header whose user name is the API
// key and whose password is not empty (Freshdesk ignores its value; "X" by
// convention).
func (s *Server) authorised(values []string) bool {
	if len(values) != 1 {
		return false
	}
	enc, ok := strings.CutPrefix(values[0], "Basic ")
	if !ok {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return false
	}
	user, password, ok := strings.Cut(string(raw), ":")
	return ok && user == s.apiKey && password != ""
}

func isJSON(ct string) bool {
	mt, params, ok := strings.Cut(ct, ";")
	if strings.TrimSpace(mt) != "application/json" {
		return false
	}
	if ok {
		k, v, _ := strings.Cut(strings.TrimSpace(params), "=")
		return strings.EqualFold(k, "charset") && strings.EqualFold(v, "utf-8")
	}
	return true
}

func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("body is not JSON: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("body has data after the JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("body is not a JSON object")
	}
	return obj, nil
}
