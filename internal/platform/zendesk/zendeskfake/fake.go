// Package zendeskfake is a strict fake of the Zendesk endpoints the bot
// calls, PUT /api/v2/tickets/{id}.json (a comment, or the fields an action
// changes) and PUT /api/v2/tickets/{id}/tags (Add Tags), and the contract
// suite's description of the platform (Suite). It keeps each ticket's
// state, so a test can see that adding tags kept the others.
//
// Every request is checked against the documented API: method, path, the
// Basic {email}/token or Bearer credentials, content type, and the JSON
// body's keys and types (unknown keys refused). A request that does not
// fit is answered in Zendesk's own error shape and recorded as a problem;
// a valid one gets Zendesk's success body, or what Answer scripted.
package zendeskfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/platform/zendesk"
)

// The credentials a fake accepts unless Options say otherwise.
const (
	DefaultEmail      = "bot@example.com"
	DefaultToken      = "zd-api-token-0123456789abcdef"
	DefaultOAuthToken = "zd-oauth-token-fedcba9876543210"
	DefaultAgentID    = "9001"
)

// maxBody bounds what the fake reads of a request.
const maxBody = 1 << 20

// Options configure a fake.
type Options struct {
	// OAuth makes the fake expect an OAuth Bearer token instead of Basic
	// {email}/token:{token}.
	OAuth bool
	// Email, Token, OAuthToken and AgentID default to the constants above.
	// A request's comment.author_id, when sent, must be AgentID.
	Email, Token, OAuthToken, AgentID string
}

// Endpoints, as Request.Endpoint names them.
const (
	EndpointTicket = "ticket" // PUT /api/v2/tickets/{id}.json
	EndpointTags   = "tags"   // PUT /api/v2/tickets/{id}/tags
)

// Request is one valid request the fake accepted.
type Request struct {
	Endpoint string
	TicketID string
	// Ticket is the ticket object of a ticket update as sent; numbers are
	// json.Number. Comment is its comment (nil for an action).
	Ticket  map[string]any
	Comment map[string]any
	// Tags are the tags an Add Tags request sent.
	Tags   []string
	Header http.Header
	// CommentID is the id of the comment the fake answered with.
	CommentID string
}

// Ticket is what the fake knows of a ticket: what the bot's requests set
// and what a test seeded. Tickets the fake has not seen start empty.
type Ticket struct {
	Tags                []string
	Status, Priority    string
	AssigneeID, GroupID string
	// CustomFields are by field id; values as sent.
	CustomFields map[string]any
}

type answer struct {
	status int
	header http.Header
	body   string
}

// Fake is a running fake; it implements platformtest.Fake.
type Fake struct {
	opts Options
	ts   *httptest.Server

	mu       sync.Mutex
	next     *answer
	problems []string
	requests []Request
	ids      int64
	tickets  map[string]*Ticket
}

var _ platformtest.Fake = (*Fake)(nil)

// New starts a fake, closed when t ends.
func New(t testing.TB, opts Options) *Fake {
	for dst, def := range map[*string]string{&opts.Email: DefaultEmail, &opts.Token: DefaultToken, &opts.OAuthToken: DefaultOAuthToken, &opts.AgentID: DefaultAgentID} {
		if *dst == "" {
			*dst = def
		}
	}
	f := &Fake{opts: opts, tickets: map[string]*Ticket{}}
	f.ts = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.ts.Close)
	return f
}

// BaseURL is the account URL (what base_url is set to).
func (f *Fake) BaseURL() string { return f.ts.URL }

// Settings are the account settings the fake accepts.
func (f *Fake) Settings() map[string]string {
	if f.opts.OAuth {
		// The token is the bot agent's own.
		return map[string]string{zendesk.SettingAuth: zendesk.AuthOAuth, zendesk.SettingAgentID: f.opts.AgentID,
			zendesk.SettingTokenUserID: f.opts.AgentID}
	}
	return map[string]string{zendesk.SettingAuth: zendesk.AuthToken, zendesk.SettingEmail: f.opts.Email, zendesk.SettingAgentID: f.opts.AgentID}
}

// Secrets are the account secrets the fake accepts.
func (f *Fake) Secrets() map[string]string {
	if f.opts.OAuth {
		return map[string]string{zendesk.SettingOAuthToken: f.opts.OAuthToken}
	}
	return map[string]string{zendesk.SettingToken: f.opts.Token}
}

// Answer scripts the answer to the next valid request; status 0 is the
// normal success, with header added.
func (f *Fake) Answer(status int, header http.Header, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = &answer{status: status, header: header, body: body}
}

// Accepted counts the valid requests.
func (f *Fake) Accepted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// Requests returns the valid requests, oldest first.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// Problems lists why requests were refused.
func (f *Fake) Problems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.problems...)
}

// SetTags gives a ticket its current tags, as if an agent had added them.
func (f *Fake) SetTags(ticketID string, tags ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ticket(ticketID).Tags = append([]string(nil), tags...)
}

// Ticket returns a copy of what the fake knows of a ticket.
func (f *Fake) Ticket(ticketID string) Ticket {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := *f.ticket(ticketID)
	t.Tags = append([]string(nil), t.Tags...)
	t.CustomFields = maps.Clone(t.CustomFields)
	return t
}

// ticket is the state of a ticket, created on first use; f.mu is held.
func (f *Fake) ticket(id string) *Ticket {
	t, ok := f.tickets[id]
	if !ok {
		t = &Ticket{Status: "open", Priority: "normal"}
		f.tickets[id] = t
	}
	return t
}

// ErrorBody is Zendesk's validation error carrying message.
func (f *Fake) ErrorBody(message string) string {
	return string(recordInvalid(message))
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	ticketID, endpoint, ok := route(r.URL.EscapedPath())
	if !ok || r.Method != http.MethodPut {
		f.refuse(w, r, http.StatusNotFound, errorBody("InvalidEndpoint", "Not found"),
			fmt.Sprintf("no such endpoint: %s %s (want PUT /api/v2/tickets/{id}.json or /api/v2/tickets/{id}/tags)", r.Method, r.URL.EscapedPath()))
		return
	}
	if r.URL.RawQuery != "" {
		f.refuse(w, r, http.StatusBadRequest, errorBody("InvalidParameter", "Unexpected query"),
			"query "+r.URL.RawQuery+": the ticket update takes none")
		return
	}
	if !f.authorized(r.Header) {
		f.refuse(w, r, http.StatusUnauthorized, mustJSON(map[string]any{"error": "Couldn't authenticate you"}),
			"Authorization is not the account's credentials")
		return
	}
	var ps problems
	checkHeaders(&ps, r.Header)
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	switch {
	case err != nil:
		ps.addf("reading body: %v", err)
	case len(raw) > maxBody:
		ps.addf("body larger than %d bytes", maxBody)
	}
	req := Request{Endpoint: endpoint, TicketID: ticketID, Header: r.Header.Clone()}
	if len(ps) == 0 {
		switch endpoint {
		case EndpointTags:
			req.Tags = checkTags(&ps, raw)
		default:
			req.Ticket = checkBody(&ps, raw, f.opts.AgentID)
			req.Comment, _ = req.Ticket["comment"].(map[string]any)
		}
	}
	if len(ps) > 0 {
		f.refuse(w, r, http.StatusUnprocessableEntity, recordInvalid(ps.String()), ps.String())
		return
	}
	f.accept(w, req)
}

// route reads the ticket id and the endpoint of a path:
// /api/v2/tickets/{id}.json or /api/v2/tickets/{id}/tags.
func route(escaped string) (id, endpoint string, ok bool) {
	rest, ok := strings.CutPrefix(escaped, "/api/v2/tickets/")
	if !ok {
		return "", "", false
	}
	if id, ok = strings.CutSuffix(rest, "/tags"); ok {
		endpoint = EndpointTags
	} else if id, ok = strings.CutSuffix(rest, ".json"); ok {
		endpoint = EndpointTicket
	}
	if !ok || id == "" || len(id) > 20 || strings.Trim(id, "0123456789") != "" {
		return "", "", false
	}
	return id, endpoint, true
}

func (f *Fake) authorized(h http.Header) bool {
	got := h.Values("Authorization")
	if len(got) != 1 {
		return false
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(f.opts.Email+"/token:"+f.opts.Token))
	if f.opts.OAuth {
		want = "Bearer " + f.opts.OAuthToken
	}
	return got[0] == want
}

func checkHeaders(ps *problems, h http.Header) {
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	switch {
	case err != nil || mt != "application/json":
		ps.addf("Content-Type %q: want application/json", h.Get("Content-Type"))
	case params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8"):
		ps.addf("Content-Type charset %q: want utf-8", params["charset"])
	}
	if !acceptsJSON(h.Get("Accept")) {
		ps.addf("Accept %q does not admit application/json", h.Get("Accept"))
	}
	if h.Get("User-Agent") == "" {
		ps.addf("no User-Agent")
	}
}

func acceptsJSON(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && (mt == "application/json" || mt == "application/*" || mt == "*/*") {
			return true
		}
	}
	return false
}

func (f *Fake) refuse(w http.ResponseWriter, r *http.Request, status int, body []byte, problem string) {
	f.mu.Lock()
	f.problems = append(f.problems, r.Method+" "+r.URL.EscapedPath()+": "+problem)
	f.mu.Unlock()
	write(w, status, nil, body)
}

func (f *Fake) accept(w http.ResponseWriter, req Request) {
	f.mu.Lock()
	f.ids++
	n := f.ids
	a := f.next
	f.next = nil
	if req.Comment != nil {
		req.CommentID = strconv.FormatInt(30_000_000_000+n, 10)
	}
	f.requests = append(f.requests, req)
	status := http.StatusOK
	if a != nil && a.status != 0 {
		status = a.status
	}
	// A refusal scripted by a test changes nothing, as on Zendesk.
	var state Ticket
	if status >= 200 && status < 300 {
		f.apply(req)
	}
	state = *f.ticket(req.TicketID)
	state.Tags = append([]string(nil), state.Tags...)
	f.mu.Unlock()

	h := http.Header{}
	h.Set("X-Rate-Limit", "700")
	h.Set("X-Rate-Limit-Remaining", strconv.FormatInt(max(700-n, 0), 10))
	var body []byte
	if a != nil {
		for k, vs := range a.header {
			h[k] = vs
		}
		if a.status != 0 || a.body != "" {
			// A scripted answer is sent as written, an empty body too.
			body = []byte(a.body)
		}
	}
	if body == nil && status == http.StatusOK {
		if req.Endpoint == EndpointTags {
			body = mustJSON(map[string]any{"tags": state.Tags})
		} else {
			body = success(req, n, state)
		}
	}
	write(w, status, h, body)
}

// apply changes the ticket's state as Zendesk would; f.mu is held. Tags
// are added (Zendesk stores them lower-cased), never replaced.
func (f *Fake) apply(req Request) {
	t := f.ticket(req.TicketID)
	for _, tag := range req.Tags {
		tag = strings.ToLower(tag)
		if !slices.Contains(t.Tags, tag) {
			t.Tags = append(t.Tags, tag)
		}
	}
	str := func(v any) string {
		if n, ok := v.(json.Number); ok {
			return n.String()
		}
		s, _ := v.(string)
		return s
	}
	for k, v := range req.Ticket {
		switch k {
		case "assignee_id":
			t.AssigneeID = str(v)
		case "group_id":
			t.GroupID = str(v)
		case "priority":
			t.Priority = str(v)
		case "status":
			t.Status = str(v)
		case "custom_fields":
			list, _ := v.([]any)
			for _, it := range list {
				cf, _ := it.(map[string]any)
				if t.CustomFields == nil {
					t.CustomFields = map[string]any{}
				}
				t.CustomFields[str(cf["id"])] = cf["value"]
			}
		}
	}
}

// success is Zendesk's answer to a ticket update: the ticket and the audit
// of the change, whose Comment event is the comment just added (a Change
// event per field otherwise).
func success(req Request, n int64, state Ticket) []byte {
	now := time.Now().UTC().Format(time.RFC3339)
	ticketID, _ := strconv.ParseInt(req.TicketID, 10, 64)
	var events []any
	if req.Comment != nil {
		commentID, _ := strconv.ParseInt(req.CommentID, 10, 64)
		ev := map[string]any{"id": commentID, "type": "Comment", "public": req.Comment["public"], "attachments": []any{}}
		for _, k := range []string{"body", "html_body", "author_id"} {
			if v, ok := req.Comment[k]; ok {
				ev[k] = v
			}
		}
		events = append(events, ev)
	}
	for _, k := range sortedKeys(map[string]bool{"assignee_id": true, "group_id": true, "priority": true, "status": true}) {
		if v, ok := req.Ticket[k]; ok {
			events = append(events, map[string]any{"id": 50_000_000_000 + n*10 + int64(len(events)), "type": "Change", "field_name": k, "value": v})
		}
	}
	ticket := map[string]any{
		"id": ticketID, "status": state.Status, "priority": state.Priority, "tags": state.Tags, "updated_at": now,
		"url": fmt.Sprintf("https://example.zendesk.com/api/v2/tickets/%d.json", ticketID),
	}
	return mustJSON(map[string]any{
		"ticket": ticket,
		"audit":  map[string]any{"id": 40_000_000_000 + n, "ticket_id": ticketID, "created_at": now, "events": events},
	})
}

// errorBody is Zendesk's error shape.
func errorBody(code, description string) []byte {
	return mustJSON(map[string]any{"error": code, "description": description})
}

// recordInvalid is Zendesk's 422 with the problems as details.
func recordInvalid(message string) []byte {
	return mustJSON(map[string]any{
		"error": "RecordInvalid", "description": "Record validation errors",
		"details": map[string]any{"base": []any{map[string]any{"description": message, "error": "InvalidValue"}}},
	})
}

func write(w http.ResponseWriter, status int, h http.Header, body []byte) {
	for k, vs := range h {
		w.Header()[k] = vs
	}
	if len(body) > 0 && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client may have gone
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // values built here from JSON types only
	}
	return b
}
