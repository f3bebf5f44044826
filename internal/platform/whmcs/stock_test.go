package whmcs_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
	"github.com/supportops/autoresponder/internal/replier"
)

// stockAccount is an `api: whmcs` account pointing at f; edit changes
// settings or secrets before the account is built.
func stockAccount(f *whmcsfake.Stock, edit func(settings, secrets map[string]string)) *platform.Account {
	settings, secrets := f.Settings(), f.Secrets()
	if edit != nil {
		edit(settings, secrets)
	}
	set := &platform.Settings{Values: settings, Secrets: map[string]bool{}}
	for k := range secrets {
		set.Secrets[k] = true
	}
	return &platform.Account{
		Name: "billing", BaseURL: f.BaseURL(), Settings: set, Timeout: 5 * time.Second, Now: time.Now,
		Secret: func(key string) ([]byte, error) {
			v, ok := secrets[key]
			if !ok {
				return nil, fmt.Errorf("%s_env is not set", key)
			}
			return []byte(v), nil
		},
	}
}

func stockPair(t *testing.T, edit func(settings, secrets map[string]string)) (*whmcsfake.Stock, replier.Replier) {
	t.Helper()
	f := whmcsfake.NewStock(t)
	r, err := whmcs.NewStockReplier(stockAccount(f, edit))
	if err != nil {
		t.Fatalf("newStockReplier: %v", err)
	}
	return f, r
}

func stockTicket(as, id string) *replier.Request {
	return &replier.Request{Platform: "billing", As: as, Target: event.Target{Type: event.TargetTicket, ID: id}, Body: "Thanks, we are on it."}
}

func stockWith(req *replier.Request, fields map[string]replier.Value) *replier.Request {
	for k, v := range fields {
		req.Set(k, v)
	}
	return req
}

// stockError is the *replier.Error of a failed send, failing the test
// when the send succeeded or the error is of another type.
func stockError(t *testing.T, err error) *replier.Error {
	t.Helper()
	var e *replier.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *replier.Error", err, err)
	}
	return e
}

func stockB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestStockCommentSendsEveryField(t *testing.T) {
	file := replier.Attachment{Name: "log.txt", ContentType: "text/plain", Data: []byte("line 1\n")}
	cases := []struct {
		name   string
		fields map[string]replier.Value
		atts   []replier.Attachment
		want   map[string]string // parameters besides ticketid and message
		custom map[string]string
	}{
		{"no fields: posted as the account's admin", nil, nil,
			map[string]string{"adminusername": whmcsfake.StockAdmin}, nil},
		{"markdown", map[string]replier.Value{"markdown": {Bool: true}}, nil,
			map[string]string{"adminusername": whmcsfake.StockAdmin, "markdown": "1"}, nil},
		{"markdown false is left out", map[string]replier.Value{"markdown": {Bool: false}}, nil,
			map[string]string{"adminusername": whmcsfake.StockAdmin}, nil},
		{"from another admin", map[string]replier.Value{"from": {Map: map[string]string{"admin_username": "lead"}}}, nil,
			map[string]string{"adminusername": "lead"}, nil},
		{"from a client's contact", map[string]replier.Value{"from": {Map: map[string]string{"client_id": "7", "contact_id": "8"}}}, nil,
			map[string]string{"clientid": "7", "contactid": "8"}, nil},
		{"from a client, contact rendered empty", map[string]replier.Value{"from": {Map: map[string]string{"client_id": "7", "contact_id": ""}}}, nil,
			map[string]string{"clientid": "7"}, nil},
		{"from a named sender", map[string]replier.Value{"from": {Map: map[string]string{"name": "Billing Bot", "email": "bot@example.com"}}}, nil,
			map[string]string{"name": "Billing Bot", "email": "bot@example.com"}, nil},
		{"status", map[string]replier.Value{"status": {Text: "On Hold"}}, nil,
			map[string]string{"adminusername": whmcsfake.StockAdmin, "status": "On Hold"}, nil},
		{"status rendered empty is left out", map[string]replier.Value{"status": {Text: ""}}, nil,
			map[string]string{"adminusername": whmcsfake.StockAdmin}, nil},
		{"no_email", map[string]replier.Value{"no_email": {Bool: true}}, nil,
			map[string]string{"adminusername": whmcsfake.StockAdmin, "noemail": "1"}, nil},
		{"custom_fields", map[string]replier.Value{"custom_fields": {Map: map[string]string{"12": "Google", "3": "né"}}}, nil,
			map[string]string{"adminusername": whmcsfake.StockAdmin, "customfields": stockB64(`a:2:{i:3;s:3:"né";i:12;s:6:"Google";}`)},
			map[string]string{"3": "né", "12": "Google"}},
		{"attachments", nil, []replier.Attachment{file},
			map[string]string{"adminusername": whmcsfake.StockAdmin, "attachments": stockB64(`[{"name":"log.txt","data":"bGluZSAxCg=="}]`)}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, r := stockPair(t, nil)
			req := stockWith(stockTicket(platform.AsComment, "42"), c.fields)
			req.Attachments = c.atts
			if _, err := r.Send(context.Background(), req); err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			calls := f.Calls()
			if len(calls) != 1 || len(f.Problems()) > 0 {
				t.Fatalf("fake accepted %d requests, problems %q", len(calls), f.Problems())
			}
			want := map[string]string{"ticketid": "42", "message": "Thanks, we are on it."}
			maps.Copy(want, c.want)
			if calls[0].Action != "AddTicketReply" || !maps.Equal(calls[0].Params, want) {
				t.Errorf("sent %s %v\nwant AddTicketReply %v", calls[0].Action, calls[0].Params, want)
			}
			if c.custom != nil && !maps.Equal(calls[0].CustomFields, c.custom) {
				t.Errorf("WHMCS decodes custom fields %v, want %v", calls[0].CustomFields, c.custom)
			}
			if c.atts != nil && (len(calls[0].Attachments) != 1 || string(calls[0].Attachments[0].Data) != "line 1\n") {
				t.Errorf("WHMCS decodes attachments %+v", calls[0].Attachments)
			}
		})
	}
}

func TestStockNoteSendsEveryField(t *testing.T) {
	cases := []struct {
		name   string
		fields map[string]replier.Value
		atts   []replier.Attachment
		want   map[string]string
	}{
		{"plain: no attribution, a note is always the API admin's", nil, nil, nil},
		{"markdown", map[string]replier.Value{"markdown": {Bool: true}}, nil, map[string]string{"markdown": "1"}},
		{"attachments", nil, []replier.Attachment{{Name: "a.bin", Data: []byte{0xff}}},
			map[string]string{"attachments": stockB64(`[{"name":"a.bin","data":"/w=="}]`)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, r := stockPair(t, nil)
			req := stockWith(stockTicket(platform.AsNote, "5"), c.fields)
			req.Attachments = c.atts
			if _, err := r.Send(context.Background(), req); err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			calls := f.Calls()
			if len(calls) != 1 {
				t.Fatalf("fake accepted %d requests, problems %q", len(calls), f.Problems())
			}
			want := map[string]string{"ticketid": "5", "message": "Thanks, we are on it."}
			maps.Copy(want, c.want)
			if calls[0].Action != "AddTicketNote" || !maps.Equal(calls[0].Params, want) {
				t.Errorf("sent %s %v\nwant AddTicketNote %v", calls[0].Action, calls[0].Params, want)
			}
		})
	}
}

// TestStockFormOnTheWire pins what goes over the wire: the action and the
// credentials first, responsetype=json, form encoding of a secret with
// reserved characters.
func TestStockFormOnTheWire(t *testing.T) {
	f, r := stockPair(t, nil)
	if _, err := r.Send(context.Background(), stockTicket(platform.AsComment, "42")); err != nil {
		t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
	}
	body := f.Calls()[0].Body
	wantPrefix := "action=AddTicketReply&identifier=" + url.QueryEscape(whmcsfake.StockIdentifier) +
		"&secret=" + url.QueryEscape(whmcsfake.StockSecret) + "&responsetype=json&ticketid=42&"
	if !strings.HasPrefix(body, wantPrefix) {
		t.Errorf("body %q\ndoes not start with %q", body, wantPrefix)
	}
}

func TestStockAccessKey(t *testing.T) {
	t.Run("configured: sent, and the installation lets the bot in", func(t *testing.T) {
		f := whmcsfake.NewStock(t)
		f.RequireAccessKey(whmcsfake.StockAccessKey)
		r, err := whmcs.NewStockReplier(stockAccount(f, nil))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Send(context.Background(), stockTicket(platform.AsNote, "9")); err != nil {
			t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
		}
		if body := f.Calls()[0].Body; !strings.Contains(body, "&accesskey="+url.QueryEscape(whmcsfake.StockAccessKey)+"&") {
			t.Errorf("body %q carries no accesskey", body)
		}
	})
	t.Run("not configured: WHMCS refuses the address, permanently", func(t *testing.T) {
		f := whmcsfake.NewStock(t)
		f.RequireAccessKey(whmcsfake.StockAccessKey)
		r, err := whmcs.NewStockReplier(stockAccount(f, func(_, secrets map[string]string) { delete(secrets, "accesskey") }))
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Send(context.Background(), stockTicket(platform.AsNote, "9"))
		e := stockError(t, err)
		if e.Reason != replier.ReasonClientError || e.Retry || !strings.Contains(e.Message, "Invalid IP 127.0.0.1") ||
			!strings.Contains(e.Message, "accesskey") {
			t.Errorf("got %v, want a permanent error quoting WHMCS's Invalid IP and the way out", e)
		}
		if strings.Contains(err.Error(), whmcsfake.StockAccessKey) {
			t.Errorf("error quotes the access key: %v", err)
		}
	})
	t.Run("not configured, not needed: never sent", func(t *testing.T) {
		f, r := stockPair(t, nil)
		if _, err := r.Send(context.Background(), stockTicket(platform.AsNote, "9")); err != nil {
			t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
		}
		if body := f.Calls()[0].Body; strings.Contains(body, "accesskey") {
			t.Errorf("body %q carries an accesskey nobody configured", body)
		}
	})
}

// TestStockRefusesWhatTheAPICannotDo: everything the External API has no
// place for is refused before sending, permanently, with a message naming
// the field; nothing reaches WHMCS.
func TestStockRefusesWhatTheAPICannotDo(t *testing.T) {
	from := func(m map[string]string) map[string]replier.Value {
		return map[string]replier.Value{"from": {Map: m}}
	}
	cases := []struct {
		name   string
		req    *replier.Request
		fields map[string]replier.Value
		want   string
	}{
		{"conversation target", &replier.Request{As: platform.AsComment, Target: event.Target{Type: event.TargetConversation, ID: "1"}, Body: "x"}, nil, "replies go to tickets"},
		{"ticket mask", stockTicket(platform.AsComment, "ABC-123456"), nil, "not a number"},
		{"quick reply", stockTicket("quick_reply", "1"), nil, `reply kind "quick_reply"`},
		{"blank body", &replier.Request{As: platform.AsComment, Target: event.Target{Type: event.TargetTicket, ID: "1"}, Body: " \n"}, nil, "Message is required"},
		{"note with status", stockTicket(platform.AsNote, "1"), map[string]replier.Value{"status": {Text: "Closed"}}, "a note takes no status"},
		{"note with from", stockTicket(platform.AsNote, "1"), from(map[string]string{"admin_username": "x"}), "a note takes no from"},
		{"note with no_email and custom_fields", stockTicket(platform.AsNote, "1"),
			map[string]replier.Value{"no_email": {Bool: true}, "custom_fields": {Map: map[string]string{"1": "x"}}}, "a note takes no custom_fields, no_email"},
		{"an Intercom field", stockTicket(platform.AsComment, "1"), map[string]replier.Value{"skip_notifications": {Bool: true}}, "has no skip_notifications"},
		{"quick-reply options", stockTicket(platform.AsComment, "1"), map[string]replier.Value{"options": {List: []string{"a"}}}, "has no options"},
		{"attachment urls", stockTicket(platform.AsComment, "1"), map[string]replier.Value{"attachment_urls": {List: []string{"https://x/y.png"}}}, "has no attachment_urls"},
		{"from: unknown key", stockTicket(platform.AsComment, "1"), from(map[string]string{"user_id": "3"}), "from.user_id: unknown key"},
		{"from: contact without client", stockTicket(platform.AsComment, "1"), from(map[string]string{"contact_id": "3"}), "needs from.client_id"},
		{"from: name without email", stockTicket(platform.AsComment, "1"), from(map[string]string{"name": "Bot"}), "from.name needs from.email"},
		{"from: admin and client", stockTicket(platform.AsComment, "1"), from(map[string]string{"admin_username": "a", "client_id": "2"}), "cannot be combined"},
		{"from: client and name", stockTicket(platform.AsComment, "1"), from(map[string]string{"client_id": "2", "name": "n", "email": "e@x.org"}), "neither an admin nor a client"},
		{"from: client id not a number", stockTicket(platform.AsComment, "1"), from(map[string]string{"client_id": "C-2"}), `from.client_id "C-2" is not a number`},
		{"from: everything rendered empty", stockTicket(platform.AsComment, "1"), from(map[string]string{"client_id": "", "email": " "}), "names nobody"},
		{"custom field named, not numbered", stockTicket(platform.AsComment, "1"), map[string]replier.Value{"custom_fields": {Map: map[string]string{"source": "bot"}}}, `custom_fields key "source"`},
		{"custom field id with a leading zero", stockTicket(platform.AsComment, "1"), map[string]replier.Value{"custom_fields": {Map: map[string]string{"07": "x"}}}, `custom_fields key "07"`},
		{"blank status", stockTicket(platform.AsComment, "1"), map[string]replier.Value{"status": {Text: "  "}}, "status is blank"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, r := stockPair(t, nil)
			req := stockWith(c.req, c.fields)
			_, err := r.Send(context.Background(), req)
			e := stockError(t, err)
			if e.Reason != replier.ReasonInvalidRequest || e.Retry {
				t.Errorf("reason %s retry %v, want invalid_request, never retried", e.Reason, e.Retry)
			}
			if !strings.Contains(e.Message, c.want) {
				t.Errorf("message %q does not say %q", e.Message, c.want)
			}
			if n := f.Accepted() + len(f.Problems()); n != 0 {
				t.Errorf("%d requests reached WHMCS", n)
			}
		})
	}
}

// TestStockResultErrorIsADeadLetter: WHMCS's result=error, with HTTP 200
// or an error status, is a permanent failure carrying WHMCS's message.
func TestStockResultErrorIsADeadLetter(t *testing.T) {
	cases := []struct {
		message string
		hint    string
	}{
		{"Authentication Failed", "identifier and secret"},
		{"Invalid IP 203.0.113.9", "API IP Access Restriction"},
		{`Invalid Permissions: API action "addticketreply" is not allowed`, "API role"},
		{"Ticket ID Not Found", "database id"},
		{"Ticket ID not found", "database id"},
		{"Invalid Ticket Status", "existing ticket status"},
		{"Client ID Not Found", "from.client_id"},
		{"Something WHMCS added later", ""},
	}
	for _, c := range cases {
		t.Run(c.message, func(t *testing.T) {
			f, r := stockPair(t, nil)
			f.Answer(http.StatusOK, nil, f.ErrorBody(c.message))
			_, err := r.Send(context.Background(), stockTicket(platform.AsComment, "42"))
			e := stockError(t, err)
			if e.Reason != replier.ReasonClientError || e.Retry || e.Status != http.StatusOK {
				t.Errorf("reason %s retry %v status %d, want client_error, never retried, HTTP 200", e.Reason, e.Retry, e.Status)
			}
			if !strings.Contains(e.Message, "AddTicketReply: "+c.message) || !strings.Contains(e.Message, c.hint) {
				t.Errorf("message %q, want WHMCS's %q and the hint %q", e.Message, c.message, c.hint)
			}
		})
	}
	t.Run("no message", func(t *testing.T) {
		f, r := stockPair(t, nil)
		f.Answer(http.StatusOK, nil, `{"result":"error"}`)
		_, err := r.Send(context.Background(), stockTicket(platform.AsNote, "42"))
		if e := stockError(t, err); e.Retry || !strings.Contains(e.Message, "AddTicketNote: WHMCS reported an error without a message") {
			t.Errorf("got %v", e)
		}
	})
}

// TestStockAuthenticationAgainstTheFake drives the fake's own access
// control: a wrong secret is refused whatever HTTP status WHMCS gives it.
func TestStockAuthenticationAgainstTheFake(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusForbidden} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			f := whmcsfake.NewStock(t)
			f.SetAuthFailureStatus(status)
			const wrong = "wrong-secret-9f8e7d"
			r, err := whmcs.NewStockReplier(stockAccount(f, func(_, secrets map[string]string) { secrets["secret"] = wrong }))
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Send(context.Background(), stockTicket(platform.AsComment, "42"))
			e := stockError(t, err)
			if e.Reason != replier.ReasonClientError || e.Retry || e.Status != status ||
				!strings.Contains(e.Message, "Authentication Failed") {
				t.Errorf("got %v, want a permanent Authentication Failed with HTTP %d", e, status)
			}
			if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), whmcsfake.StockIdentifier) {
				t.Errorf("error quotes a credential: %v", err)
			}
		})
	}
}

func TestStockHTTPStatuses(t *testing.T) {
	cases := []struct {
		status int
		header http.Header
		body   string
		reason replier.Reason
		retry  bool
		after  time.Duration
		says   string
	}{
		{http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}}, whmcsfake.StockError("slow down"), replier.ReasonRateLimited, true, 7 * time.Second, "slow down"},
		{http.StatusServiceUnavailable, nil, "<html>maintenance</html>", replier.ReasonServerError, true, 0, "<html>maintenance</html>"},
		{http.StatusInternalServerError, nil, whmcsfake.StockError("database gone"), replier.ReasonServerError, true, 0, "database gone"},
		{http.StatusForbidden, nil, whmcsfake.StockError("Invalid IP 10.0.0.1"), replier.ReasonClientError, false, 0, "Invalid IP 10.0.0.1"},
		{http.StatusNotFound, nil, "", replier.ReasonClientError, false, 0, "not found"},
	}
	for _, c := range cases {
		t.Run(http.StatusText(c.status), func(t *testing.T) {
			f, r := stockPair(t, nil)
			f.Answer(c.status, c.header, c.body)
			_, err := r.Send(context.Background(), stockTicket(platform.AsComment, "42"))
			e := stockError(t, err)
			if e.Reason != c.reason || e.Retry != c.retry || e.Status != c.status || e.RetryAfter != c.after {
				t.Errorf("got %s retry %v status %d after %v, want %s %v %d %v", e.Reason, e.Retry, e.Status, e.RetryAfter, c.reason, c.retry, c.status, c.after)
			}
			if !strings.Contains(e.Message, c.says) {
				t.Errorf("message %q does not carry %q", e.Message, c.says)
			}
		})
	}
}

// TestStockUnreadableSuccess: a 2xx that is not WHMCS's JSON may hide a
// posted reply, so it is never retried.
func TestStockUnreadableSuccess(t *testing.T) {
	cases := map[string]string{
		"an HTML page":        "<!DOCTYPE html><html><body>Client Area</body></html>",
		"empty":               "",
		"a PHP warning":       "<b>Warning</b>: something\n{\"result\":\"success\"}",
		"an unknown result":   `{"result":"pending"}`,
		"result not a string": `{"result":1}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			f, r := stockPair(t, nil)
			f.Answer(http.StatusOK, http.Header{"Content-Type": {"text/html"}}, body)
			_, err := r.Send(context.Background(), stockTicket(platform.AsComment, "42"))
			e := stockError(t, err)
			if e.Reason != replier.ReasonInvalidResponse || e.Retry {
				t.Errorf("got %s retry %v, want invalid_response, never retried", e.Reason, e.Retry)
			}
			if !strings.Contains(e.Message, "may have been posted") {
				t.Errorf("message %q does not warn that the reply may be posted", e.Message)
			}
		})
	}
}

// TestStockSecretsNeverInErrors: whatever WHMCS echoes, in any spelling
// the form used, the credentials do not reach an error.
func TestStockSecretsNeverInErrors(t *testing.T) {
	var spellings []string
	for _, s := range []string{whmcsfake.StockIdentifier, whmcsfake.StockSecret, whmcsfake.StockAccessKey} {
		spellings = append(spellings, s, url.QueryEscape(s))
	}
	echo := strings.Join(spellings, " | ")
	answers := []struct {
		name   string
		status int
		body   string
	}{
		{"result=error", http.StatusOK, whmcsfake.StockError("bad request " + echo)},
		{"server error", http.StatusInternalServerError, whmcsfake.StockError(echo)},
		{"unreadable 200", http.StatusOK, "<pre>" + echo + "</pre>"},
		{"unreadable 502", http.StatusBadGateway, echo},
	}
	for _, a := range answers {
		t.Run(a.name, func(t *testing.T) {
			f := whmcsfake.NewStock(t)
			f.RequireAccessKey(whmcsfake.StockAccessKey)
			r, err := whmcs.NewStockReplier(stockAccount(f, nil))
			if err != nil {
				t.Fatal(err)
			}
			f.Answer(a.status, nil, a.body)
			_, err = r.Send(context.Background(), stockTicket(platform.AsComment, "42"))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			for _, s := range spellings {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error quotes %q: %v", s, err)
				}
			}
			if !strings.Contains(err.Error(), "[redacted]") {
				t.Errorf("error %v shows no sign of the echo being redacted", err)
			}
		})
	}
}

func TestNewStockReplierRefusesBadConfiguration(t *testing.T) {
	const leaky = "sEcReT with space"
	cases := []struct {
		name    string
		secrets func(settings, secrets map[string]string)
		account func(a *platform.Account)
		want    string
	}{
		{name: "no base_url", account: func(a *platform.Account) { a.BaseURL = "" }, want: "base_url is required"},
		{name: "base_url with a query", account: func(a *platform.Account) { a.BaseURL += "/?x=1" }, want: "query"},
		{name: "no admin_username", secrets: func(s, _ map[string]string) { delete(s, "admin_username") }, want: "admin_username is required"},
		{name: "no identifier", secrets: func(_, sec map[string]string) { delete(sec, "identifier") }, want: "identifier_env is not set"},
		{name: "no secret", secrets: func(_, sec map[string]string) { delete(sec, "secret") }, want: "secret_env is not set"},
		{name: "secret with whitespace", secrets: func(_, sec map[string]string) { sec["secret"] = leaky }, want: "secret contains whitespace"},
		{name: "accesskey WHMCS would not allow", secrets: func(_, sec map[string]string) { sec["accesskey"] = "sEcReT~key" }, want: "character WHMCS does not allow"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := stockAccount(whmcsfake.NewStock(t), c.secrets)
			if c.account != nil {
				c.account(a)
			}
			_, err := whmcs.NewStockReplier(a)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
			if !strings.Contains(err.Error(), `whmcs "billing" (api: whmcs)`) {
				t.Errorf("error %v does not name the account", err)
			}
			if strings.Contains(err.Error(), "sEcReT") {
				t.Errorf("error quotes the secret: %v", err)
			}
		})
	}
}

func TestStockBaseURLForms(t *testing.T) {
	for _, suffix := range []string{"", "/", "/includes/api.php"} {
		t.Run("base_url"+suffix, func(t *testing.T) {
			f := whmcsfake.NewStock(t)
			a := stockAccount(f, nil)
			a.BaseURL += suffix
			r, err := whmcs.NewStockReplier(a)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Send(context.Background(), stockTicket(platform.AsNote, "3")); err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
		})
	}
}

// TestStockCapabilitiesHold is the `bot check --strict` property on this
// table: every row, with every field it lists filled as the contract
// suite fills it, is supported and accepted by the strict fake; and the
// replier supports nothing the table does not list.
func TestStockCapabilitiesHold(t *testing.T) {
	for _, row := range whmcs.StockCapabilities {
		t.Run(row.As, func(t *testing.T) {
			f, r := stockPair(t, nil)
			if !r.Supports(row.As, row.Target) {
				t.Errorf("Supports(%s, %s) is false", row.As, row.Target)
			}
			req := stockTicket(row.As, "123")
			for _, k := range row.Fields {
				req.Set(k, replier.Value{Bool: true})
			}
			if row.Attachments {
				req.Attachments = []replier.Attachment{{Name: "hello.txt", Data: []byte("hello")}}
			}
			whmcsfake.StockSample(row, req)
			if _, err := r.Send(context.Background(), req); err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			call := f.Calls()[0]
			for _, k := range row.Fields {
				param := map[string]string{"markdown": "markdown", "from": "adminusername", "custom_fields": "customfields", "status": "status", "no_email": "noemail"}[k]
				if _, sent := call.Params[param]; !sent {
					t.Errorf("field %s was not sent as %s: %v", k, param, call.Params)
				}
			}
		})
	}
	r := &whmcs.StockReplier{}
	for _, as := range []string{platform.AsComment, platform.AsNote, "quick_reply", "contact_reply"} {
		for _, target := range []string{event.TargetTicket, event.TargetConversation} {
			listed := slices.ContainsFunc(whmcs.StockCapabilities, func(c platform.Capability) bool { return c.As == as && c.Target == target })
			if r.Supports(as, target) != listed {
				t.Errorf("Supports(%s, %s) = %v, the table says %v", as, target, !listed, listed)
			}
		}
	}
}

func TestStockReadsRateLimitHeaders(t *testing.T) {
	f, r := stockPair(t, nil)
	f.Answer(0, http.Header{"X-Ratelimit-Limit": {"100"}, "X-Ratelimit-Remaining": {"5"}}, "")
	res, err := r.Send(context.Background(), stockTicket(platform.AsComment, "42"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if rl := res.RateLimit; !rl.Known || rl.Limit != 100 || rl.Remaining != 5 {
		t.Errorf("RateLimit = %+v, want 5 of 100 remaining", rl)
	}
}
