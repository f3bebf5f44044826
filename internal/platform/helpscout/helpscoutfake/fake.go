// Package helpscoutfake is a strict fake of Help Scout's Inbox API 2.0 for
// tests: the client-credentials token endpoint and the two thread
// endpoints the bot uses (reply and notes). Every request is checked
// against the documented API (method, path, auth, content type, body keys
// and types); a request that does not fit is answered in Help Scout's own
// error shape AND recorded as a problem, so a test can fail on it.
package helpscoutfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Credentials the fake accepts.
const (
	AppID     = "fake-app-id"
	AppSecret = "fake-app-secret-0123456789"
	UserID    = "4242"
)

// DefaultTokenLifetime is what Help Scout's token endpoint answers
// (expires_in 172800: 48 hours).
const DefaultTokenLifetime = 48 * time.Hour

// maxBody bounds what the fake reads of a request.
const maxBody = 1 << 20

// Request is one valid thread request.
type Request struct {
	Endpoint       string // "reply" or "notes"
	ConversationID string
	Header         http.Header
	// Body is the JSON body; numbers are json.Number.
	Body map[string]any
}

type answer struct {
	status int
	header http.Header
	body   string
}

// Server is a running fake.
type Server struct {
	srv *httptest.Server

	mu            sync.Mutex
	tokens        map[string]time.Time // issued token: when it expires
	tokenLifetime time.Duration
	tokenAnswers  []answer
	answers       []answer
	requests      []Request
	tokenRequests int
	problems      []string
	nextThreadID  int64
	logRef        int
	// Conversation state the actions change.
	calls []Call
	convs map[string]*Conversation
}

// New starts a fake, closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{tokens: map[string]time.Time{}, tokenLifetime: DefaultTokenLifetime, nextThreadID: 10000,
		convs: map[string]*Conversation{}}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

// BaseURL is the account's base_url.
func (s *Server) BaseURL() string { return s.srv.URL }

// Settings are the account settings the fake accepts.
func (s *Server) Settings() map[string]string {
	return map[string]string{"app_id": AppID, "user_id": UserID}
}

// Secrets are the account's secrets.
func (s *Server) Secrets() map[string]string { return map[string]string{"app_secret": AppSecret} }

// Answer makes the fake answer the next valid thread or conversation
// request (not a token request) with status, header and body; status 0 is the normal 201 with
// header added.
func (s *Server) Answer(status int, header http.Header, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, answer{status, header, body})
}

// AnswerToken makes the fake answer the next valid token request so.
func (s *Server) AnswerToken(status int, header http.Header, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenAnswers = append(s.tokenAnswers, answer{status, header, body})
}

// SetTokenLifetime changes the expires_in of the tokens issued from now on.
func (s *Server) SetTokenLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenLifetime = d
}

// ExpireTokens makes every token issued so far invalid, as Help Scout does
// when a token expires or the app's secret is regenerated: requests with
// them are answered 401 (a client behaviour, not a problem).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok := range s.tokens {
		s.tokens[tok] = time.Time{}
	}
}

// Accepted counts the valid thread and conversation (action) requests.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests) + len(s.calls)
}

// Requests returns the valid thread requests.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// TokenRequests counts the valid token requests.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// Problems lists what the strict checks refused.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

// ErrorBody is Help Scout's error body (vnd.error) carrying message.
func (s *Server) ErrorBody(message string) string {
	return vndError(s.nextLogRef(), message, nil)
}

func (s *Server) nextLogRef() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logRef++
	return fmt.Sprintf("5b6e1f0c-fake-4c1d-9d1e-000000000000#%d", s.logRef)
}

// fieldError is one entry of a vnd.error's _embedded.errors.
type fieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func vndError(logRef, message string, errs []fieldError) string {
	body := map[string]any{"logRef": logRef, "message": message}
	if len(errs) > 0 {
		body["_embedded"] = map[string]any{"errors": errs}
	}
	b, _ := json.Marshal(body)
	return string(b)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		s.refuse(w, http.StatusBadRequest, "reading the request", []fieldError{{Message: "body unreadable or larger than 1 MiB"}})
		return
	}
	path := r.URL.EscapedPath()
	if path == "/v2/oauth2/token" {
		s.serveToken(w, r, body)
		return
	}
	rest, ok := strings.CutPrefix(path, "/v2/conversations/")
	id, endpoint, ok2 := strings.Cut(rest, "/")
	if ok && (!ok2 || endpoint == "tags" || endpoint == "fields") {
		s.serveConversation(w, r, id, endpoint, body)
		return
	}
	if !ok || !ok2 || (endpoint != "reply" && endpoint != "notes") {
		s.refuse(w, http.StatusNotFound, r.Method+" "+path, []fieldError{{Message: "no such endpoint"}})
		return
	}
	s.serveThread(w, r, id, endpoint, body)
}

// refuse answers a request the strict checks refused, and records why.
func (s *Server) refuse(w http.ResponseWriter, status int, what string, errs []fieldError) {
	var msgs []string
	for _, e := range errs {
		if e.Path != "" {
			msgs = append(msgs, e.Path+": "+e.Message)
		} else {
			msgs = append(msgs, e.Message)
		}
	}
	s.mu.Lock()
	s.problems = append(s.problems, what+": "+strings.Join(msgs, "; "))
	s.mu.Unlock()
	message := "Validation error"
	switch status {
	case http.StatusUnauthorized:
		message = "Unauthorized"
	case http.StatusNotFound:
		message = "Not Found"
	case http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType, http.StatusNotAcceptable:
		message = http.StatusText(status)
	}
	writeError(w, status, nil, vndError(s.nextLogRef(), message, errs))
}

func writeError(w http.ResponseWriter, status int, header http.Header, body string) {
	w.Header().Set("Content-Type", "application/vnd.error+json")
	copyHeader(w.Header(), header)
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		dst.Del(k)
		for _, v := range vs {
			dst.Add(k, v)
		}
	}
}

func mediaType(v string) string {
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		return ""
	}
	return mt
}

func acceptsJSON(accept string) bool {
	if accept == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		switch mediaType(strings.TrimSpace(part)) {
		case "application/json", "application/hal+json", "application/*", "*/*":
			return true
		}
	}
	return false
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// answerQueued pops the next scripted answer, if any.
func (s *Server) answerQueued(queue *[]answer) (answer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(*queue) == 0 {
		return answer{}, false
	}
	a := (*queue)[0]
	*queue = (*queue)[1:]
	return a, true
}

// rateLimitHeaders are what Help Scout sends on every answer; a write
// counts as two requests.
func (s *Server) rateLimitHeaders(h http.Header) {
	s.mu.Lock()
	used := 2 * len(s.requests)
	s.mu.Unlock()
	h.Set("X-RateLimit-Limit-Minute", "400")
	h.Set("X-RateLimit-Remaining-Minute", strconv.Itoa(max(400-used, 0)))
}
