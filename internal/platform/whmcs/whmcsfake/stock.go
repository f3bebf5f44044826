package whmcsfake

// The stock WHMCS External API fake (`api: whmcs`); facts from
// ../shared/reference/PLATFORMS-NEXT.md §2.

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
)

// What a Stock fake accepts by default. The secret has characters that
// form encoding must escape, so a client that forgets to is caught.
const (
	StockIdentifier = "fakeIdentifier0123456789abcdefAB"
	StockSecret     = "fake+Secret/0123456789=&abc%def"
	StockAdmin      = "autoresponder"
	StockAccessKey  = "fake-Access_Key!@#$%.()*[]"
)

// StockStatuses are the ticket statuses of a fresh installation
// (GetSupportStatuses); a reply setting another status is refused with
// "Invalid Ticket Status".
var StockStatuses = []string{"Open", "Answered", "Customer-Reply", "Closed", "On Hold", "In Progress"}

// Stock is a strict fake of a stock WHMCS installation's External API,
// POST /includes/api.php with AddTicketReply, AddTicketNote and
// UpdateTicket. Every
// request is checked against the documented parameters; what it refuses
// is answered in WHMCS's own shape and listed by Problems.
type Stock struct {
	srv *httptest.Server

	mu         sync.Mutex
	accessKey  string // required when set: the bot's address is not on the allow-list
	authStatus int
	answers    []stockScripted
	calls      []StockCall
	problems   []string
	// tickets is what UpdateTicket changed (and SetTicket seeded), by
	// ticket id.
	tickets map[string]StockTicket
}

type stockScripted struct {
	status int
	header http.Header
	body   string
}

// StockCall is one valid request, credentials left out.
type StockCall struct {
	Action string
	// Params are the action's parameters as sent (form-decoded).
	Params map[string]string
	// CustomFields and Attachments are the decoded customfields and
	// attachments parameters.
	CustomFields map[string]string
	Attachments  []StockFile
	// Body is the form as sent, credentials included.
	Body string
}

// StockFile is one decoded attachment.
type StockFile struct {
	Name string
	Data []byte
}

// NewStock starts the fake on loopback; it stops with the test.
func NewStock(t testing.TB) *Stock {
	t.Helper()
	s := &Stock{authStatus: http.StatusOK, tickets: map[string]StockTicket{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// BaseURL is the installation's root; the API is under /includes/api.php.
func (s *Stock) BaseURL() string { return s.srv.URL }

// Settings are the account settings of an `api: whmcs` account the fake
// accepts.
func (s *Stock) Settings() map[string]string {
	return map[string]string{"api": "whmcs", "admin_username": StockAdmin}
}

// Secrets are the account's secrets: the API credential, and the access
// key when RequireAccessKey was called.
func (s *Stock) Secrets() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]string{"identifier": StockIdentifier, "secret": StockSecret}
	if s.accessKey != "" {
		m["accesskey"] = s.accessKey
	}
	return m
}

// RequireAccessKey makes the installation refuse the bot's address
// ("Invalid IP ...") unless the request carries accesskey = key, as when
// the bot is not on the API IP allow-list and configuration.php sets
// $api_access_key.
func (s *Stock) RequireAccessKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessKey = key
}

// SetAuthFailureStatus sets the HTTP status of authentication and IP
// refusals. The reference documents the body, not the status (❓); the
// default is 200, and a test should try 403 too.
func (s *Stock) SetAuthFailureStatus(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authStatus = status
}

// Answer makes the fake answer the next valid request with status,
// header and body; status 0 is the normal success answer with header
// added.
func (s *Stock) Answer(status int, header http.Header, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, stockScripted{status, header, body})
}

// Accepted counts the valid requests.
func (s *Stock) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// Calls lists the valid requests in order.
func (s *Stock) Calls() []StockCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Problems lists what the strict checks refused.
func (s *Stock) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.problems)
}

// ErrorBody is WHMCS's error shape carrying message.
func (s *Stock) ErrorBody(message string) string { return StockError(message) }

// StockError is WHMCS's error body: {"result":"error","message":...}.
func StockError(message string) string {
	b, _ := json.Marshal(map[string]string{"result": "error", "message": message})
	return string(b)
}

// StockSample fills a request for one capability row with values the
// fake accepts, for platformtest.Suite.Sample: an admin attribution, an
// existing status, a numeric custom field id.
func StockSample(row platform.Capability, req *replier.Request) {
	for _, f := range row.Fields {
		switch f {
		case "from":
			req.Set(f, replier.Value{Map: map[string]string{"admin_username": StockAdmin}})
		case "status":
			req.Set(f, replier.Value{Text: "Answered"})
		case "custom_fields":
			req.Set(f, replier.Value{Map: map[string]string{"1": "sample"}})
		}
	}
}

func (s *Stock) serve(w http.ResponseWriter, r *http.Request) {
	ans := s.check(r)
	h := w.Header()
	for k, vs := range ans.header {
		h[k] = vs
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	w.WriteHeader(ans.status)
	_, _ = w.Write([]byte(ans.body))
}

// check runs the strict checks on one request and decides the answer.
func (s *Stock) check(r *http.Request) stockScripted {
	s.mu.Lock()
	accessKey, authStatus := s.accessKey, s.authStatus
	s.mu.Unlock()

	call, refusal := stockParse(r, stockExpect{
		accessKey:  accessKey,
		authStatus: authStatus,
		remoteIP:   remoteIP(r),
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if refusal != nil {
		s.problems = append(s.problems, refusal.problems...)
		body := refusal.page
		if body == "" {
			body = StockError(refusal.message)
		}
		return stockScripted{status: refusal.status, header: refusal.header, body: body}
	}
	s.calls = append(s.calls, *call)
	ok := stockScripted{status: http.StatusOK, body: `{"result":"success"}`}
	if len(s.answers) > 0 {
		a := s.answers[0]
		s.answers = s.answers[1:]
		if a.status != 0 {
			return a // a scripted refusal changes nothing
		}
		ok.header = a.header
	}
	if call.Action == "UpdateTicket" {
		ok.body = s.applyUpdate(call)
	}
	return ok
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
