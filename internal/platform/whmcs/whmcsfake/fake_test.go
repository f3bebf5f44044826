package whmcsfake

import (
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake/faketest"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func newTestWHMCS(t *testing.T) *Fake {
	t.Helper()
	f := New(Options{Token: testToken})
	t.Cleanup(f.Close)
	return f
}

func TestWHMCSAcceptsReplyAndNote(t *testing.T) {
	f := newTestWHMCS(t)
	attachments := b64(`[{"name":"a.txt","data":"` + b64("hello") + `"}]`)
	ct, body := faketest.Form(t,
		[2]string{"ticketid", "42"}, [2]string{"message", "Hi"}, [2]string{"markdown", "1"},
		[2]string{"clientid", "7"}, [2]string{"contactid", "8"}, [2]string{"name", "Bot"},
		[2]string{"email", "bot@example.com"}, [2]string{"adminusername", "bot"},
		[2]string{"status", "Answered"}, [2]string{"noemail", "1"},
		[2]string{"customfields", b64(`a:2:{i:3;s:6:"Google";s:3:"foo";s:3:"bar";}`)},
		[2]string{"attachments", attachments},
	)
	status, _, b := faketest.Do(t, http.MethodPost, f.URL()+"/add-ticket-reply", body, whmcsHeader(ct))
	if status != 200 {
		t.Fatalf("reply: %d %s", status, b)
	}
	if m := faketest.DecodeJSON(t, b); m["result"] != "success" || m["replyid"] == nil {
		t.Errorf("reply answer %s", b)
	}
	ct, body = faketest.Form(t, [2]string{"ticketid", "42"}, [2]string{"message", "note"}, [2]string{"attachments", attachments})
	status, _, b = faketest.Do(t, http.MethodPost, f.URL()+"/add-ticket-note", body, whmcsHeader(ct))
	if status != 200 || faketest.DecodeJSON(t, b)["noteid"] == nil {
		t.Fatalf("note: %d %s", status, b)
	}
	f.AssertNoViolations(t)

	reqs := f.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d recorded", len(reqs))
	}
	r := reqs[0]
	if r.Endpoint != "add-ticket-reply" || r.TargetID != "42" || r.Form["status"] != "Answered" {
		t.Errorf("recorded %+v", r)
	}
	if r.CustomFields["3"] != "Google" || r.CustomFields["foo"] != "bar" || len(r.CustomFields) != 2 {
		t.Errorf("custom fields %v", r.CustomFields)
	}
	if len(r.Attachments) != 1 || r.Attachments[0].Name != "a.txt" || string(r.Attachments[0].Data) != "hello" {
		t.Errorf("attachments %+v", r.Attachments)
	}
	if reqs[0].ResponseID == reqs[1].ResponseID {
		t.Error("response ids repeat")
	}
}

func TestWHMCSRejects(t *testing.T) {
	ok := [][2]string{{"ticketid", "42"}, {"message", "Hi"}}
	with := func(extra ...[2]string) [][2]string { return append(append([][2]string(nil), ok...), extra...) }
	tests := []struct {
		name, path    string
		fields        [][2]string
		header        func(ct string) http.Header
		rawBody       string // instead of fields
		wantStatus    int
		wantViolation string
	}{
		{name: "unknown method", path: "/add-ticket", fields: ok, wantStatus: 404, wantViolation: "no such method"},
		{name: "wrong token", fields: ok, header: func(ct string) http.Header {
			return http.Header{"Authorization": {"Bearer nope"}, "Content-Type": {ct}}
		}, wantStatus: 401, wantViolation: "Authentication Failed"},
		{name: "urlencoded", header: func(string) http.Header {
			return whmcsHeader("application/x-www-form-urlencoded")
		}, rawBody: url.Values{"ticketid": {"1"}, "message": {"x"}}.Encode(), wantStatus: 400, wantViolation: "want multipart/form-data"},
		{name: "missing ticketid", fields: [][2]string{{"message", "x"}}, wantStatus: 400, wantViolation: "exactly one of ticketid"},
		{name: "ticket mask as id", fields: [][2]string{{"ticketid", "ABC-123"}, {"message", "x"}}, wantStatus: 400, wantViolation: "not a number"},
		{name: "missing message", fields: [][2]string{{"ticketid", "1"}}, wantStatus: 400, wantViolation: "Message is required"},
		{name: "duplicate field", fields: with([2]string{"message", "again"}), wantStatus: 400, wantViolation: "sent twice"},
		{name: "unknown field", fields: with([2]string{"subject", "x"}), wantStatus: 400, wantViolation: `unknown field "subject"`},
		{name: "markdown false", fields: with([2]string{"markdown", "false"}), wantStatus: 400, wantViolation: "reads as true"},
		{name: "noemail yes", fields: with([2]string{"noemail", "yes"}), wantStatus: 400, wantViolation: "want 1 or 0"},
		{name: "clientid not a number", fields: with([2]string{"clientid", "x1"}), wantStatus: 400, wantViolation: "clientid"},
		{name: "bad email", fields: with([2]string{"email", "Bot <bot@example.com>"}), wantStatus: 400, wantViolation: "not an address"},
		{name: "bad created", fields: with([2]string{"created", "2024-01-02T03:04:05Z"}), wantStatus: 400, wantViolation: "created"},
		{name: "customfields not base64", fields: with([2]string{"customfields", "a:0:{}"}), wantStatus: 400, wantViolation: "customfields: not base64"},
		{name: "customfields wrong length", fields: with([2]string{"customfields", b64(`a:1:{s:3:"foo";s:4:"bar";}`)}), wantStatus: 400, wantViolation: "customfields"},
		{name: "customfields JSON", fields: with([2]string{"customfields", b64(`{"foo":"bar"}`)}), wantStatus: 400, wantViolation: "customfields"},
		{name: "attachments not JSON", fields: with([2]string{"attachments", b64("a.txt")}), wantStatus: 400, wantViolation: "attachments"},
		{name: "attachment data raw", fields: with([2]string{"attachments", b64(`[{"name":"a","data":"hello!"}]`)}), wantStatus: 400, wantViolation: "data: not base64"},
		{name: "attachment extra key", fields: with([2]string{"attachments", b64(`[{"name":"a","data":"aGk=","type":"x"}]`)}), wantStatus: 400, wantViolation: `unknown key "type"`},
		{name: "note with status", path: "/add-ticket-note", fields: with([2]string{"status", "Closed"}), wantStatus: 400, wantViolation: `unknown field "status"`},
		{name: "note with sender", path: "/add-ticket-note", fields: with([2]string{"adminusername", "bot"}), wantStatus: 400, wantViolation: `unknown field "adminusername"`},
	}
	f := newTestWHMCS(t)
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "/add-ticket-reply"
			}
			ct, body := faketest.Form(t, tt.fields...)
			if tt.rawBody != "" {
				body = tt.rawBody
			}
			header := whmcsHeader(ct)
			if tt.header != nil {
				header = tt.header(ct)
			}
			status, _, b := faketest.Do(t, http.MethodPost, f.URL()+path, body, header)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d (%s)", status, tt.wantStatus, b)
			}
			if m := faketest.DecodeJSON(t, b); m["result"] != "error" {
				t.Errorf("answer %s", b)
			}
			v := f.Violations()
			if len(v) != n+1 {
				t.Fatalf("%d violations, want %d", len(v), n+1)
			}
			if !strings.Contains(v[n], tt.wantViolation) {
				t.Errorf("violation %q does not mention %q", v[n], tt.wantViolation)
			}
		})
	}
	if f.Count() != 0 {
		t.Errorf("%d rejected requests recorded", f.Count())
	}
}

func TestWHMCSFileUploadRejected(t *testing.T) {
	f := newTestWHMCS(t)
	body := "--b\r\nContent-Disposition: form-data; name=\"ticketid\"\r\n\r\n1\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nx\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"a.txt\"\r\n\r\nhi\r\n--b--\r\n"
	status, _, _ := faketest.Do(t, http.MethodPost, f.URL()+"/add-ticket-reply", body, whmcsHeader("multipart/form-data; boundary=b"))
	if status != 400 || len(f.Violations()) != 1 || !strings.Contains(f.Violations()[0], "file upload") {
		t.Errorf("status %d, violations %v", status, f.Violations())
	}
}

func TestWHMCSScriptedErrors(t *testing.T) {
	f := newTestWHMCS(t)
	f.Enqueue(Error(200, "Ticket ID Not Found"), platformfake.Response{Status: 503})
	ct, body := faketest.Form(t, [2]string{"ticketid", "1"}, [2]string{"message", "x"})
	status, _, b := faketest.Do(t, http.MethodPost, f.URL()+"/add-ticket-reply", body, whmcsHeader(ct))
	if m := faketest.DecodeJSON(t, b); status != 200 || m["result"] != "error" || m["message"] != "Ticket ID Not Found" {
		t.Errorf("1: %d %s", status, b)
	}
	status, _, b = faketest.Do(t, http.MethodPost, f.URL()+"/add-ticket-reply", body, whmcsHeader(ct))
	if m := faketest.DecodeJSON(t, b); status != 503 || m["result"] != "error" {
		t.Errorf("2: %d %s", status, b)
	}
	if st := f.Stats(); st.Valid != 2 || st.Accepted != 1 {
		// a {"result":"error"} with 200 still counts as a 2xx answer
		t.Errorf("stats %+v", st)
	}
}

func TestPHPUnserialize(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr bool
	}{
		{in: `a:0:{}`, want: map[string]string{}},
		{in: `a:1:{s:3:"foo";s:3:"bar";}`, want: map[string]string{"foo": "bar"}},
		{in: `a:2:{i:1;s:6:"Google";i:12;s:0:"";}`, want: map[string]string{"1": "Google", "12": ""}},
		{in: `a:1:{s:1:"k";s:5:"a";b;";}`, want: map[string]string{"k": `a";b;`}},
		{in: `a:1:{s:2:"é";s:1:"x";}`, want: map[string]string{"é": "x"}},
		{in: `a:1:{s:3:"foo";s:3:"bar";}x`, wantErr: true},
		{in: `a:2:{s:3:"foo";s:3:"bar";}`, wantErr: true},
		{in: `a:1:{s:3:"foo";i:3;}`, wantErr: true},
		{in: `a:1:{s:9:"foo";s:3:"bar";}`, wantErr: true},
		{in: `a:+1:{s:3:"foo";s:3:"bar";}`, wantErr: true},
		{in: `a:1:{i:01;s:1:"x";}`, wantErr: true},
		{in: `a:1:{s:9223372036854775807:"foo";s:3:"bar";}`, wantErr: true}, // position + length overflows
		{in: `a:2:{i:1;s:1:"a";i:1;s:1:"b";}`, wantErr: true},
		{in: `s:3:"foo";`, wantErr: true},
		{in: ``, wantErr: true},
	}
	for _, tt := range tests {
		got, err := phpUnserialize(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: err %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && !maps.Equal(got, tt.want) {
			t.Errorf("%q: got %v, want %v", tt.in, got, tt.want)
		}
	}
}
