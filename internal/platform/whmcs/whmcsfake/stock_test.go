package whmcsfake

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/platformtest"
)

var _ platformtest.Fake = (*Stock)(nil)

// stockGood is a request the fake accepts; each case spoils one thing.
func stockGood() url.Values {
	return url.Values{
		"action": {"AddTicketReply"}, "identifier": {StockIdentifier}, "secret": {StockSecret},
		"responsetype": {"json"}, "ticketid": {"42"}, "message": {"hello"}, "adminusername": {StockAdmin},
	}
}

type stockRaw struct {
	method, path, contentType, body string
}

func stockPost(form url.Values) stockRaw {
	return stockRaw{http.MethodPost, "/includes/api.php", "application/x-www-form-urlencoded", form.Encode()}
}

func stockEdit(edit func(url.Values)) stockRaw {
	f := stockGood()
	edit(f)
	return stockPost(f)
}

func stockSend(t *testing.T, s *Stock, r stockRaw) (int, string) {
	t.Helper()
	req, err := http.NewRequest(r.method, s.BaseURL()+r.path, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestStockAcceptsAGoodRequest(t *testing.T) {
	s := NewStock(t)
	status, body := stockSend(t, s, stockPost(stockGood()))
	if status != http.StatusOK || body != `{"result":"success"}` || s.Accepted() != 1 || len(s.Problems()) != 0 {
		t.Fatalf("HTTP %d %s, accepted %d, problems %q", status, body, s.Accepted(), s.Problems())
	}
}

func TestStockRefusesBadRequests(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name    string
		req     stockRaw
		status  int
		message string // WHMCS's message, "" for the web server's 404 page
	}{
		{"wrong path", stockRaw{http.MethodPost, "/api.php", "application/x-www-form-urlencoded", stockGood().Encode()}, 404, ""},
		{"GET", stockRaw{http.MethodGet, "/includes/api.php", "", ""}, 405, "fake: POST only"},
		{"query string", stockRaw{http.MethodPost, "/includes/api.php?identifier=x", "application/x-www-form-urlencoded", stockGood().Encode()}, 400, "fake: no query string"},
		{"JSON body", stockRaw{http.MethodPost, "/includes/api.php", "application/json", `{"action":"AddTicketReply"}`}, 400, "fake: form-encoded body expected"},
		{"multipart", stockRaw{http.MethodPost, "/includes/api.php", "multipart/form-data; boundary=x", "--x--"}, 400, "fake: form-encoded body expected"},
		{"no responsetype", stockEdit(func(f url.Values) { f.Del("responsetype") }), 200, "fake: responsetype"},
		{"parameter twice", stockEdit(func(f url.Values) { f.Add("message", "again") }), 200, "fake: parameter sent twice"},
		{"wrong secret", stockEdit(func(f url.Values) { f.Set("secret", "nope") }), 200, "Authentication Failed"},
		{"no identifier", stockEdit(func(f url.Values) { f.Del("identifier") }), 200, "Authentication Failed"},
		{"legacy username/password", stockEdit(func(f url.Values) {
			f.Del("identifier")
			f.Del("secret")
			f.Set("username", "a")
			f.Set("password", "b")
		}), 200, "Authentication Failed"},
		{"unexpected accesskey", stockEdit(func(f url.Values) { f.Set("accesskey", "k") }), 200, "fake: unexpected accesskey"},
		{"unknown action", stockEdit(func(f url.Values) { f.Set("action", "GetTicket") }), 200, "Command Not Found"},
		{"action in lower case", stockEdit(func(f url.Values) { f.Set("action", "addticketreply") }), 200, "Command Not Found"},
		{"unknown parameter", stockEdit(func(f url.Values) { f.Set("priority", "High") }), 200, "fake: unknown parameter"},
		{"ticket mask", stockEdit(func(f url.Values) { f.Set("ticketid", "ABC-123") }), 200, "Ticket ID Not Found"},
		{"blank message", stockEdit(func(f url.Values) { f.Set("message", " ") }), 200, "Message is required"},
		{"markdown false", stockEdit(func(f url.Values) { f.Set("markdown", "false") }), 200, "fake: boolean"},
		{"nobody attributed", stockEdit(func(f url.Values) { f.Del("adminusername") }), 200, "Name and email address are required if not a client"},
		{"name without email", stockEdit(func(f url.Values) { f.Del("adminusername"); f.Set("name", "n") }), 200, "Name and email address are required if not a client"},
		{"admin and client", stockEdit(func(f url.Values) { f.Set("clientid", "3") }), 200, "fake: ambiguous sender"},
		{"contact without client", stockEdit(func(f url.Values) {
			f.Del("adminusername")
			f.Set("contactid", "3")
			f.Set("name", "n")
			f.Set("email", "n@example.com")
		}), 200, "Contact ID Not Found"},
		{"bad email", stockEdit(func(f url.Values) { f.Del("adminusername"); f.Set("name", "n"); f.Set("email", "nobody") }), 200, "Email Address Invalid"},
		{"unknown status", stockEdit(func(f url.Values) { f.Set("status", "Sleeping") }), 200, "Invalid Ticket Status"},
		{"custom fields not serialized", stockEdit(func(f url.Values) { f.Set("customfields", b64(`{"1":"x"}`)) }), 200, "fake: customfields"},
		{"custom field keyed by name", stockEdit(func(f url.Values) { f.Set("customfields", b64(`a:1:{s:3:"src";s:1:"x";}`)) }), 200, "fake: customfields"},
		{"attachments not base64", stockEdit(func(f url.Values) { f.Set("attachments", "[{}]") }), 200, "fake: attachments"},
		{"attachment with an unknown key", stockEdit(func(f url.Values) { f.Set("attachments", b64(`[{"name":"a","data":"","type":"x"}]`)) }), 200, "fake: attachments"},
		{"bad created date", stockEdit(func(f url.Values) { f.Set("created", "yesterday") }), 200, "Invalid Date Format"},
		{"note with status", stockEdit(func(f url.Values) { f.Set("action", "AddTicketNote"); f.Del("adminusername"); f.Set("status", "Open") }), 200, "fake: unknown parameter"},
		{"note with ticketid and ticketnum", stockEdit(func(f url.Values) {
			f.Set("action", "AddTicketNote")
			f.Del("adminusername")
			f.Set("ticketnum", "ABC-1")
		}), 200, "Ticket ID Not Found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := NewStock(t)
			status, body := stockSend(t, s, c.req)
			if status != c.status {
				t.Errorf("HTTP %d, want %d (%s)", status, c.status, body)
			}
			if c.message != "" {
				var ans map[string]string
				if err := json.Unmarshal([]byte(body), &ans); err != nil || ans["result"] != "error" || ans["message"] != c.message {
					t.Errorf("answer %s, want WHMCS's error shape with %q", body, c.message)
				}
			}
			if s.Accepted() != 0 || len(s.Problems()) == 0 {
				t.Errorf("accepted %d, problems %q: the fake let it through", s.Accepted(), s.Problems())
			}
			for _, p := range s.Problems() {
				if strings.Contains(p, StockSecret) || strings.Contains(p, StockIdentifier) {
					t.Errorf("problem quotes a credential: %s", p)
				}
			}
		})
	}
}

func TestStockAccessControl(t *testing.T) {
	t.Run("address not allowed, no key", func(t *testing.T) {
		s := NewStock(t)
		s.RequireAccessKey(StockAccessKey)
		s.SetAuthFailureStatus(http.StatusForbidden)
		status, body := stockSend(t, s, stockPost(stockGood()))
		if status != http.StatusForbidden || body != StockError("Invalid IP 127.0.0.1") {
			t.Errorf("HTTP %d %s", status, body)
		}
	})
	t.Run("address not allowed, key given", func(t *testing.T) {
		s := NewStock(t)
		s.RequireAccessKey(StockAccessKey)
		status, body := stockSend(t, s, stockEdit(func(f url.Values) { f.Set("accesskey", StockAccessKey) }))
		if status != http.StatusOK || s.Accepted() != 1 {
			t.Errorf("HTTP %d %s, problems %q", status, body, s.Problems())
		}
		if _, ok := s.Secrets()["accesskey"]; !ok {
			t.Error("Secrets does not list the access key the account needs")
		}
	})
}

func TestStockScriptedAnswers(t *testing.T) {
	s := NewStock(t)
	s.Answer(http.StatusOK, nil, s.ErrorBody("Ticket ID Not Found"))
	s.Answer(0, http.Header{"X-Ratelimit-Remaining": {"5"}}, "")
	if _, body := stockSend(t, s, stockPost(stockGood())); body != `{"message":"Ticket ID Not Found","result":"error"}` {
		t.Errorf("first answer %s", body)
	}
	if status, body := stockSend(t, s, stockPost(stockGood())); status != http.StatusOK || body != `{"result":"success"}` {
		t.Errorf("second answer HTTP %d %s", status, body)
	}
	if _, body := stockSend(t, s, stockPost(stockGood())); body != `{"result":"success"}` {
		t.Errorf("third answer %s (the script should be used up)", body)
	}
	if s.Accepted() != 3 {
		t.Errorf("accepted %d, want 3", s.Accepted())
	}
}

func FuzzPHPUnserialize(f *testing.F) {
	for _, seed := range []string{`a:0:{}`, `a:1:{i:1;s:6:"Google";}`, `a:2:{i:3;s:3:"né";s:3:"src";s:0:"";}`, `a:9999999999:{`, `a:1:{i:1;s:99:"x";}`, `a:1:{s:9223372036854775807:"x";s:1:"y";}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = phpUnserialize(s) // must not panic or allocate by the count
	})
}
