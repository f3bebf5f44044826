// Package chatwootfake is a strict fake of Chatwoot's create-message
// endpoint, POST /api/v1/accounts/{account_id}/conversations/{id}/messages,
// and the platform's contract Suite.
//
// Every request is checked against the API reference: method, path,
// api_access_token, content type, and the JSON body's keys and types, with
// unknown keys refused. A request that does not fit is answered in
// Chatwoot's own error shape and recorded as a problem, so a test that
// ends with no problems proves the requests were right.
package chatwootfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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
)

// What the fake accepts unless told otherwise.
const (
	DefaultAccountID  = "7"
	DefaultAgentBotID = "42"
	DefaultToken      = "cw-fake-token-9f8e7d6c5b4a"
	botName           = "Autoresponder"
)

// maxBody bounds what the fake reads of a request.
const maxBody = 1 << 20

// Message is one request the fake accepted, decoded.
type Message struct {
	ConversationID string
	Content        string
	MessageType    string
	Private        bool
	ContentType    string
	// Body is the whole JSON body (numbers as json.Number).
	Body map[string]any
	// ID is the id the fake answered with.
	ID int64
}

// Fake is a running fake of one Chatwoot account.
type Fake struct {
	ts        *httptest.Server
	accountID string
	botID     string
	token     string

	mu       sync.Mutex
	next     *answer
	messages []Message
	problems []string
	lastID   int64
	// Action state: what the account has and each conversation is.
	calls  []Call
	labels []string // the account's labels (Settings > Labels)
	convs  map[string]*Conversation
}

type answer struct {
	status int
	header http.Header
	body   string
}

var _ platformtest.Fake = (*Fake)(nil)

// New starts a fake of account DefaultAccountID whose token is
// DefaultToken; it stops when the test ends.
func New(t testing.TB) *Fake {
	f := &Fake{accountID: DefaultAccountID, botID: DefaultAgentBotID, token: DefaultToken, lastID: 1000,
		labels: slices.Clone(DefaultLabels), convs: map[string]*Conversation{}}
	f.ts = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.ts.Close)
	return f
}

// BaseURL implements platformtest.Fake.
func (f *Fake) BaseURL() string { return f.ts.URL }

// Settings implements platformtest.Fake: the account settings of a bot
// posting with an agent bot's token.
func (f *Fake) Settings() map[string]string {
	return map[string]string{"account_id": f.accountID, "agent_bot_id": f.botID}
}

// Secrets implements platformtest.Fake.
func (f *Fake) Secrets() map[string]string { return map[string]string{"token": f.token} }

// Answer implements platformtest.Fake: the next valid request is answered
// with status (0: the normal success), header and body.
func (f *Fake) Answer(status int, header http.Header, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = &answer{status: status, header: header.Clone(), body: body}
}

// Accepted implements platformtest.Fake: valid messages and action calls.
func (f *Fake) Accepted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.messages) + len(f.calls)
}

// Problems implements platformtest.Fake.
func (f *Fake) Problems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.problems...)
}

// Messages returns the valid requests, oldest first.
func (f *Fake) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.messages...)
}

// ErrorBody implements platformtest.Fake: Chatwoot's documented error
// shape.
func (f *Fake) ErrorBody(message string) string {
	return string(mustJSON(map[string]any{
		"description": message,
		"errors":      []any{map[string]any{"field": "content", "message": message, "code": "invalid"}},
	}))
}

// refusal is a request the fake turns down: what was wrong, and the
// answer in Chatwoot's words.
type refusal struct {
	problem string
	status  int
	body    []byte
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	if conv, sub, ok := f.actionRoute(r.URL.EscapedPath()); ok {
		f.serveAction(w, r, conv, sub)
		return
	}
	msg, ref := f.check(r)
	if ref != nil {
		f.mu.Lock()
		f.problems = append(f.problems, fmt.Sprintf("%s %s: %s", r.Method, r.URL.EscapedPath(), ref.problem))
		f.mu.Unlock()
		write(w, ref.status, nil, ref.body)
		return
	}

	f.mu.Lock()
	next := f.next
	f.next = nil
	if next == nil || next.status == 0 {
		f.lastID++
		msg.ID = f.lastID
	}
	f.messages = append(f.messages, msg)
	f.mu.Unlock()

	if next != nil && next.status != 0 {
		write(w, next.status, next.header, []byte(next.body))
		return
	}
	var header http.Header
	if next != nil {
		header = next.header
	}
	write(w, http.StatusOK, header, f.success(msg))
}

// headerToken is Chatwoot's authentication header (PLATFORMS-NEXT.md §7.2).
const headerToken = "api_access_token"

// check validates one create-message request against the API reference.
func (f *Fake) check(r *http.Request) (Message, *refusal) {
	var msg Message
	if r.Method != http.MethodPost {
		return msg, notFound("method " + r.Method + ": messages are created with POST")
	}
	conv, ok := f.route(r.URL.EscapedPath())
	if !ok {
		return msg, notFound("no such endpoint " + r.URL.EscapedPath())
	}
	msg.ConversationID = conv
	if ref := f.checkAuth(r); ref != nil {
		return msg, ref
	}
	problems := checkHeaders(r, true)
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	switch {
	case err != nil:
		problems = append(problems, "reading body: "+err.Error())
	case len(raw) > maxBody:
		problems = append(problems, fmt.Sprintf("body larger than %d bytes", maxBody))
	default:
		problems = append(problems, checkBody(raw, &msg)...)
	}
	if len(problems) > 0 {
		return msg, unprocessable(problems)
	}
	return msg, nil
}

// checkAuth refuses a request without the account's token. Chatwoot
// authenticates with its own header; the name is spelled here, not taken
// from the client's constant, so that a typo there is caught.
func (f *Fake) checkAuth(r *http.Request) *refusal {
	if tok := r.Header.Values(headerToken); len(tok) != 1 || tok[0] != f.token {
		return &refusal{"api_access_token missing or wrong", http.StatusUnauthorized, mustJSON(map[string]any{"error": "Invalid Access Token"})}
	}
	return nil
}

// checkHeaders checks what every API call sends; withBody: a JSON body.
func checkHeaders(r *http.Request, withBody bool) []string {
	var problems []string
	// A request that also sends Authorization is a client mixing up
	// platforms.
	if r.Header.Get("Authorization") != "" {
		problems = append(problems, "Authorization header sent; Chatwoot takes api_access_token only")
	}
	if withBody {
		if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			problems = append(problems, fmt.Sprintf("Content-Type %q: want application/json", r.Header.Get("Content-Type")))
		} else if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			problems = append(problems, fmt.Sprintf("Content-Type charset %q: want utf-8", cs))
		}
	} else if r.ContentLength > 0 || r.Header.Get("Content-Type") != "" {
		problems = append(problems, "a GET with a body or Content-Type")
	}
	if a := r.Header.Get("Accept"); a != "" && !strings.Contains(a, "application/json") && !strings.Contains(a, "*/*") {
		problems = append(problems, fmt.Sprintf("Accept %q does not admit application/json", a))
	}
	if r.Header.Get("User-Agent") == "" {
		problems = append(problems, "no User-Agent")
	}
	return problems
}

// route splits /api/v1/accounts/{account}/conversations/{id}/messages.
func (f *Fake) route(escaped string) (conversation string, ok bool) {
	parts := strings.Split(escaped, "/")
	if len(parts) != 8 || parts[0] != "" || parts[1] != "api" || parts[2] != "v1" || parts[3] != "accounts" ||
		parts[5] != "conversations" || parts[7] != "messages" {
		return "", false
	}
	if parts[4] != f.accountID || !digits(parts[6]) {
		return "", false
	}
	return parts[6], true
}

// keyType is the JSON type of each key of the API reference's
// conversation_message_create_payload; ok is false for any other key.
func keyType(key string) (typ string, ok bool) {
	switch key {
	case "content", "message_type", "content_type":
		return "string", true
	case "private":
		return "boolean", true
	case "content_attributes", "template_params":
		return "object", true
	case "campaign_id":
		return "integer", true
	case "attachment_ids":
		return "array", true
	}
	return "", false
}

// enum lists the values a string key takes (nil: any).
func enum(key string) []string {
	switch key {
	case "message_type":
		return []string{"outgoing", "incoming"}
	case "content_type":
		return []string{"text", "input_email", "cards", "input_select", "form", "article"}
	}
	return nil
}

// checkBody checks the JSON body and fills msg.
func checkBody(raw []byte, msg *Message) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return []string{"body is not a JSON object: " + err.Error()}
	}
	if dec.More() {
		return []string{"body has data after the JSON object"}
	}
	msg.Body = body
	var problems []string
	for k, v := range body {
		want, known := keyType(k)
		if !known {
			problems = append(problems, fmt.Sprintf("unknown key %q", k))
			continue
		}
		if got := typeOf(v); got != want {
			problems = append(problems, fmt.Sprintf("%s must be %s, not %s", k, want, got))
			continue
		}
		if allowed := enum(k); allowed != nil && !slices.Contains(allowed, v.(string)) {
			problems = append(problems, fmt.Sprintf("%s %q is not one of %q", k, v, allowed))
		}
	}
	content, _ := body["content"].(string)
	if strings.TrimSpace(content) == "" {
		problems = append(problems, "content is required")
	}
	msg.Content = content
	msg.MessageType, _ = body["message_type"].(string)
	msg.Private, _ = body["private"].(bool)
	msg.ContentType, _ = body["content_type"].(string)
	return problems
}

func typeOf(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case json.Number:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return "integer"
		}
		return "number"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// success is the created message, as the API returns it (message_type as
// a number, created_at in unix seconds).
func (f *Fake) success(m Message) []byte {
	conv, _ := strconv.ParseInt(m.ConversationID, 10, 64)
	messageType := 1 // outgoing
	if m.MessageType == "incoming" {
		messageType = 0
	}
	contentType := m.ContentType
	if contentType == "" {
		contentType = "text"
	}
	account, _ := strconv.Atoi(f.accountID)
	bot, _ := strconv.Atoi(f.botID)
	return mustJSON(map[string]any{
		"id": m.ID, "content": m.Content, "account_id": account, "inbox_id": 1,
		"conversation_id": conv, "message_type": messageType, "content_type": contentType,
		"status": "sent", "content_attributes": map[string]any{}, "created_at": time.Now().Unix(),
		"private": m.Private, "source_id": nil,
		"sender": map[string]any{"id": bot, "name": botName, "avatar_url": "", "type": "agent_bot"},
	})
}

func notFound(problem string) *refusal {
	return &refusal{problem, http.StatusNotFound, mustJSON(map[string]any{"error": "Resource could not be found"})}
}

func unprocessable(problems []string) *refusal {
	errs := make([]any, len(problems))
	for i, p := range problems {
		errs[i] = map[string]any{"field": "body", "message": p, "code": "invalid"}
	}
	joined := strings.Join(problems, "; ")
	return &refusal{joined, http.StatusUnprocessableEntity, mustJSON(map[string]any{"description": joined, "errors": errs})}
}

func write(w http.ResponseWriter, status int, header http.Header, body []byte) {
	for k, vs := range header {
		w.Header()[k] = vs
	}
	if len(body) > 0 && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	w.Write(body)
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// mustJSON marshals values built here from JSON-safe types; it cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("chatwootfake: " + err.Error())
	}
	return b
}
