// Package frontfake is a strict fake of the Front Core API endpoints the
// bot calls: POST /conversations/{id}/messages (a reply) and
// POST /conversations/{id}/comments (an internal comment), and for actions
// GET /tags, GET and PATCH /conversations/{id}, PUT .../assignee and
// POST .../tags, with the conversation state they change. Every request
// is checked against the documented API: method, path, Bearer token,
// content type, and each body key, its type and whether it is required;
// unknown keys are refused. Failures are answered in Front's own error
// envelope, {"_error": {"status", "title", "message"}}.
package frontfake

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// What the fake accepts by default.
const (
	DefaultToken      = "front-fake-token-7f3a9c"
	DefaultTeammateID = "tea_bot1"
	DefaultChannelID  = "cha_fake1"
	// DefaultLimit is the per-minute limit the fake reports (Front's
	// Starter plan).
	DefaultLimit = 50
)

// maxBody bounds what the fake reads of a request.
const maxBody = 1 << 20

// Request is one valid request the fake accepted.
type Request struct {
	Endpoint       string // "messages" or "comments"
	ConversationID string
	Header         http.Header
	Body           map[string]any
}

// Fake is a running fake; it implements platformtest.Fake.
type Fake struct {
	srv *httptest.Server

	mu       sync.Mutex
	answers  []answer
	accepted []Request
	problems []string
	n        int
	// Action state: the valid action requests and the conversations.
	calls []Call
	convs map[string]*Conversation
}

type answer struct {
	status int
	header http.Header
	body   string
}

// New starts a fake that accepts DefaultToken and DefaultTeammateID; it is
// closed when the test ends.
func New(t testing.TB) *Fake {
	f := &Fake{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// BaseURL is the account's base_url.
func (f *Fake) BaseURL() string { return f.srv.URL }

// Settings are the account settings the fake accepts.
func (f *Fake) Settings() map[string]string {
	return map[string]string{"teammate_id": DefaultTeammateID, "channel_id": DefaultChannelID}
}

// Secrets are the account secrets the fake accepts.
func (f *Fake) Secrets() map[string]string { return map[string]string{"token": DefaultToken} }

// Answer makes the fake answer the next valid request with status, header
// and body; status 0 is the normal success answer with header added.
func (f *Fake) Answer(status int, header http.Header, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = append(f.answers, answer{status: status, header: header.Clone(), body: body})
}

// Accepted counts the valid requests: posts and action calls.
func (f *Fake) Accepted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.accepted) + len(f.calls)
}

// Requests returns the valid requests, oldest first.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.accepted...)
}

// Problems lists what the strict checks refused.
func (f *Fake) Problems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.problems...)
}

// ErrorBody is Front's error envelope carrying message.
func (f *Fake) ErrorBody(message string) string {
	return string(errorBody(http.StatusBadRequest, message))
}

func errorBody(status int, message string) []byte {
	b, _ := json.Marshal(map[string]any{"_error": map[string]any{
		"status": status, "title": http.StatusText(status), "message": message,
	}})
	return b
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(raw) > maxBody {
		f.refuse(w, http.StatusRequestEntityTooLarge, "body unreadable or larger than 1 MiB")
		return
	}
	if f.serveAction(w, r, raw) {
		return
	}
	req, status, probs := check(r, raw)
	if len(probs) > 0 {
		f.refuse(w, status, probs...)
		return
	}

	f.mu.Lock()
	f.accepted = append(f.accepted, req)
	f.n++
	n := f.n
	var next *answer
	if len(f.answers) > 0 {
		next = &f.answers[0]
		f.answers = f.answers[1:]
	}
	f.mu.Unlock()

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-RateLimit-Limit", strconv.Itoa(DefaultLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(DefaultLimit-n, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
	if next != nil {
		maps.Copy(h, next.header)
		if next.status != 0 {
			w.WriteHeader(next.status)
			_, _ = io.WriteString(w, next.body)
			return
		}
	}
	status, body := success(req, n)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// refuse records the problems (each one fails the contract) and answers
// in Front's envelope.
func (f *Fake) refuse(w http.ResponseWriter, status int, probs ...string) {
	f.mu.Lock()
	f.problems = append(f.problems, probs...)
	f.mu.Unlock()
	msg := probs[0]
	for _, p := range probs[1:] {
		msg += "; " + p
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(errorBody(status, msg))
}

// success is Front's answer to a valid request: 202 and the uid of the
// message being sent for a reply, 201 and the comment for a comment.
func success(req Request, n int) (int, []byte) {
	if req.Endpoint == "messages" {
		b, _ := json.Marshal(map[string]any{"status": "accepted", "message_uid": "fakeuid" + strconv.Itoa(1000+n)})
		return http.StatusAccepted, b
	}
	id := "com_fake" + strconv.Itoa(n)
	author, _ := req.Body["author_id"].(string)
	pinned, _ := req.Body["is_pinned"].(bool)
	b, _ := json.Marshal(map[string]any{
		"_links": map[string]any{
			"self": "https://api2.frontapp.com/comments/" + id,
			"related": map[string]any{
				"conversation": "https://api2.frontapp.com/conversations/" + req.ConversationID,
				"mentions":     "https://api2.frontapp.com/comments/" + id + "/mentions",
			},
		},
		"id": id,
		"author": map[string]any{
			"id": author, "email": "bot@example.com", "username": "bot",
			"first_name": "Support", "last_name": "Bot", "is_admin": false, "is_available": true, "is_blocked": false,
		},
		"body":        req.Body["body"],
		"posted_at":   float64(time.Now().UnixMilli()) / 1000,
		"attachments": []any{},
		"is_pinned":   pinned,
	})
	return http.StatusCreated, b
}
