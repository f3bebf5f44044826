package intercomfake

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake/faketest"
)

func newTestIntercom(t *testing.T) *Fake {
	t.Helper()
	f := New(Options{Token: testToken, AdminID: testAdminID, APIVersion: testVersion})
	t.Cleanup(f.Close)
	return f
}

func TestIntercomAcceptsValidReplies(t *testing.T) {
	const uuid1, uuid2 = "a5e1c524-5ddd-4c3e-9328-6bca5d6e3edb", "f4a98af1-be56-4948-a57e-e1a83f8484c6"
	tests := []struct {
		name, path, body string
		wantType         string // type of the answer
	}{
		{"admin comment", "/conversations/123/reply", `{"type":"admin","message_type":"comment","admin_id":"991267696","body":"<p>Hi</p>"}`, "conversation"},
		{"admin note with files", "/conversations/123/reply", `{"type":"admin","message_type":"note","admin_id":"991267696","body":"n","attachment_files":[{"content_type":"text/plain","data":"aGk=","name":"a.txt"}],"skip_notifications":true}`, "conversation"},
		{"quick reply without body", "/conversations/123/reply", `{"type":"admin","message_type":"quick_reply","admin_id":"991267696","reply_options":[{"text":"Yes","uuid":"` + uuid1 + `"},{"text":"No","uuid":"` + uuid2 + `"}]}`, "conversation"},
		{"contact reply to last", "/conversations/last/reply", `{"type":"user","message_type":"comment","email":"joe@example.com","body":"thanks"}`, "conversation"},
		{"ticket note cross-posted", "/tickets/42/reply", `{"type":"admin","message_type":"note","admin_id":"991267696","body":"x","cross_post":true,"skip_notifications":true}`, "ticket_part"},
		{"ticket contact reply", "/tickets/42/reply", `{"type":"user","message_type":"comment","user_id":"ext-1","body":"x","skip_notifications":true,"attachment_urls":["https://example.com/a.png"]}`, "ticket_part"},
	}
	f := newTestIntercom(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := faketest.Do(t, http.MethodPost, f.URL()+tt.path, tt.body, intercomHeader())
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			if got := faketest.DecodeJSON(t, body)["type"]; got != tt.wantType {
				t.Errorf("answer type %v, want %s", got, tt.wantType)
			}
		})
	}
	f.AssertNoViolations(t)
	if got := f.Count(); got != len(tests) {
		t.Errorf("Count() = %d, want %d", got, len(tests))
	}
	seen := map[string]bool{}
	for _, r := range f.Requests() {
		if r.ResponseID == "" || seen[r.ResponseID] {
			t.Errorf("response id %q is empty or repeated", r.ResponseID)
		}
		seen[r.ResponseID] = true
	}
	if r := f.Requests()[4]; r.Endpoint != "ticket" || r.TargetID != "42" || r.Body["cross_post"] != true {
		t.Errorf("recorded %+v", r)
	}
}

func TestIntercomRejects(t *testing.T) {
	const comment = `{"type":"admin","message_type":"comment","admin_id":"991267696","body":"hi"}`
	const okUUID = "a5e1c524-5ddd-4c3e-9328-6bca5d6e3edb"
	eleven := func(item string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(item+",", 11), ",") + "]"
	}
	withHeader := func(k, v string) http.Header {
		h := intercomHeader()
		switch {
		case k == "User-Agent" && v == "":
			h[k] = []string{""} // stops net/http adding its own
		case v == "":
			h.Del(k)
		default:
			h.Set(k, v)
		}
		return h
	}
	tests := []struct {
		name, method, path, body string
		header                   http.Header
		wantStatus               int
		wantViolation            string
	}{
		{"GET", http.MethodGet, "/conversations/1/reply", "", nil, 404, "method GET"},
		{"unknown endpoint", "", "/admins", comment, nil, 404, "no such endpoint"},
		{"dot-dot escape", "", "/conversations/../admins/reply", comment, nil, 404, "no such endpoint"},
		{"encoded slash id", "", "/conversations/a%2Fb/reply", comment, nil, 400, "is not an id"},
		{"dot id", "", "/conversations/%2E%2E/reply", comment, nil, 400, "is not an id"},
		{"no token", "", "/conversations/1/reply", comment, withHeader("Authorization", ""), 401, "Access Token Invalid"},
		{"wrong token", "", "/conversations/1/reply", comment, withHeader("Authorization", "Bearer nope"), 401, "Access Token Invalid"},
		{"basic auth", "", "/conversations/1/reply", comment, withHeader("Authorization", "Basic "+testToken), 401, "Access Token Invalid"},
		{"form content type", "", "/conversations/1/reply", comment, withHeader("Content-Type", "application/x-www-form-urlencoded"), 400, "Content-Type"},
		{"no accept", "", "/conversations/1/reply", comment, withHeader("Accept", ""), 400, "Accept"},
		{"html accept", "", "/conversations/1/reply", comment, withHeader("Accept", "text/html"), 400, "Accept"},
		{"wrong version", "", "/conversations/1/reply", comment, withHeader("Intercom-Version", "2.9"), 400, "Intercom-Version"},
		{"no version", "", "/conversations/1/reply", comment, withHeader("Intercom-Version", ""), 400, "Intercom-Version"},
		{"no user agent", "", "/conversations/1/reply", comment, withHeader("User-Agent", ""), 400, "User-Agent"},
		{"not JSON", "", "/conversations/1/reply", `type=admin`, nil, 400, "not a JSON object"},
		{"JSON array", "", "/conversations/1/reply", `[1]`, nil, 400, "not a JSON object"},
		{"trailing data", "", "/conversations/1/reply", comment + `{}`, nil, 400, "after the JSON object"},
		{"unknown field", "", "/conversations/1/reply", `{"type":"admin","message_type":"comment","admin_id":"991267696","body":"hi","subject":"x"}`, nil, 400, `unknown field "subject"`},
		{"missing type", "", "/conversations/1/reply", `{"message_type":"comment","admin_id":"991267696","body":"hi"}`, nil, 400, "type is required"},
		{"bad type", "", "/conversations/1/reply", `{"type":"bot","message_type":"comment","body":"hi"}`, nil, 400, `type "bot"`},
		{"bad message type", "", "/conversations/1/reply", `{"type":"admin","message_type":"close","admin_id":"991267696","body":"hi"}`, nil, 400, `message_type "close"`},
		{"numeric admin id", "", "/conversations/1/reply", `{"type":"admin","message_type":"comment","admin_id":991267696,"body":"hi"}`, nil, 400, "admin_id: want a string"},
		{"other admin", "", "/conversations/1/reply", `{"type":"admin","message_type":"comment","admin_id":"1","body":"hi"}`, nil, 400, `admin_id "1"`},
		{"missing admin", "", "/conversations/1/reply", `{"type":"admin","message_type":"comment","body":"hi"}`, nil, 400, "admin_id is required"},
		{"comment without body", "", "/conversations/1/reply", `{"type":"admin","message_type":"comment","admin_id":"991267696"}`, nil, 400, "body is required"},
		{"note with blank body", "", "/tickets/1/reply", `{"type":"admin","message_type":"note","admin_id":"991267696","body":"  "}`, nil, 400, "body is required"},
		{"numeric body", "", "/conversations/1/reply", `{"type":"admin","message_type":"comment","admin_id":"991267696","body":5}`, nil, 400, "body: want a string"},
		{"quick reply without options", "", "/conversations/1/reply", `{"type":"admin","message_type":"quick_reply","admin_id":"991267696"}`, nil, 400, "reply_options is required"},
		{"quick reply empty options", "", "/conversations/1/reply", `{"type":"admin","message_type":"quick_reply","admin_id":"991267696","reply_options":[]}`, nil, 400, "reply_options is empty"},
		{"option bad uuid", "", "/conversations/1/reply", `{"type":"admin","message_type":"quick_reply","admin_id":"991267696","reply_options":[{"text":"Yes","uuid":"1"}]}`, nil, 400, "not a UUID"},
		{"option no text", "", "/conversations/1/reply", `{"type":"admin","message_type":"quick_reply","admin_id":"991267696","reply_options":[{"uuid":"` + okUUID + `"}]}`, nil, 400, "text is required"},
		{"option extra key", "", "/conversations/1/reply", `{"type":"admin","message_type":"quick_reply","admin_id":"991267696","reply_options":[{"text":"a","uuid":"` + okUUID + `","id":1}]}`, nil, 400, `unknown field "id"`},
		{"options on a comment", "", "/conversations/1/reply", `{"type":"admin","message_type":"comment","admin_id":"991267696","body":"x","reply_options":[{"text":"a","uuid":"` + okUUID + `"}]}`, nil, 400, "only for quick_reply"},
		{"eleven urls", "", "/conversations/1/reply", `{"type":"admin","message_type":"comment","admin_id":"991267696","body":"x","attachment_urls":` + eleven(`"https://e.com/a"`) + `}`, nil, 400, "11 items"},
		{"relative url", "", "/conversations/1/reply", `{"type":"admin","message_type":"comment","admin_id":"991267696","body":"x","attachment_urls":["/a.png"]}`, nil, 400, "not an absolute URI"},
		{"eleven files", "", "/conversations/1/reply", `{"type":"admin","message_type":"comment","admin_id":"991267696","body":"x","attachment_files":` + eleven(`{"content_type":"text/plain","data":"aGk=","name":"a"}`) + `}`, nil, 400, "11 items"},
		{"file not base64", "", "/conversations/1/reply", `{"type":"admin","message_type":"comment","admin_id":"991267696","body":"x","attachment_files":[{"content_type":"text/plain","data":"%%%","name":"a"}]}`, nil, 400, "not base64"},
		{"file without name", "", "/conversations/1/reply", `{"type":"admin","message_type":"comment","admin_id":"991267696","body":"x","attachment_files":[{"content_type":"text/plain","data":"aGk="}]}`, nil, 400, "name is required"},
		{"cross post on a conversation", "", "/conversations/1/reply", `{"type":"admin","message_type":"note","admin_id":"991267696","body":"x","cross_post":true}`, nil, 400, "cross_post"},
		{"cross post on a ticket comment", "", "/tickets/1/reply", `{"type":"admin","message_type":"comment","admin_id":"991267696","body":"x","cross_post":true}`, nil, 400, "cross_post is only for notes"},
		{"skip notifications as string", "", "/conversations/1/reply", `{"type":"admin","message_type":"comment","admin_id":"991267696","body":"x","skip_notifications":"yes"}`, nil, 400, "skip_notifications: want a boolean"},
		{"admin reply to last", "", "/conversations/last/reply", comment, nil, 400, `"last" needs a contact reply`},
		{"last ticket", "", "/tickets/last/reply", `{"type":"user","message_type":"comment","email":"a@b.c","body":"x"}`, nil, 400, "only an id for conversations"},
		{"contact without identifier", "", "/conversations/1/reply", `{"type":"user","message_type":"comment","body":"x"}`, nil, 400, "exactly one of"},
		{"contact with two identifiers", "", "/conversations/1/reply", `{"type":"user","message_type":"comment","body":"x","email":"a@b.c","user_id":"7"}`, nil, 400, "got 2"},
		{"contact note", "", "/conversations/1/reply", `{"type":"user","message_type":"note","body":"x","email":"a@b.c"}`, nil, 400, "contact replies are comment"},
		{"contact without body", "", "/conversations/1/reply", `{"type":"user","message_type":"comment","email":"a@b.c"}`, nil, 400, "body is required"},
		{"contact with admin id", "", "/conversations/1/reply", `{"type":"user","message_type":"comment","body":"x","email":"a@b.c","admin_id":"991267696"}`, nil, 400, `unknown field "admin_id"`},
		{"contact files on a ticket", "", "/tickets/1/reply", `{"type":"user","message_type":"comment","body":"x","email":"a@b.c","attachment_files":[{"content_type":"text/plain","data":"aGk=","name":"a"}]}`, nil, 400, `unknown field "attachment_files"`},
		{"contact skip on a conversation", "", "/conversations/1/reply", `{"type":"user","message_type":"comment","body":"x","email":"a@b.c","skip_notifications":true}`, nil, 400, `unknown field "skip_notifications"`},
	}
	f := newTestIntercom(t)
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			header := tt.header
			if header == nil {
				header = intercomHeader()
			}
			status, _, body := faketest.Do(t, method, f.URL()+tt.path, tt.body, header)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d (%s)", status, tt.wantStatus, body)
			}
			m := faketest.DecodeJSON(t, body)
			if m["type"] != "error.list" {
				t.Errorf("answer is not an error.list: %s", body)
			}
			v := f.Violations()
			if len(v) != n+1 {
				t.Fatalf("%d violations recorded, want %d", len(v), n+1)
			}
			if !strings.Contains(v[n], tt.wantViolation) {
				t.Errorf("violation %q does not mention %q", v[n], tt.wantViolation)
			}
		})
	}
	if f.Count() != 0 || len(f.Requests()) != 0 {
		t.Errorf("rejected requests were recorded as valid: %d", f.Count())
	}
	var r faketest.Recorder
	f.AssertNoViolations(&r)
	if len(r.Errs) != len(tests) {
		t.Errorf("AssertNoViolations reported %d, want %d", len(r.Errs), len(tests))
	}
}

func TestIntercomAnyVersionWhenUnset(t *testing.T) {
	f := New(Options{Token: testToken})
	defer f.Close()
	body := `{"type":"admin","message_type":"comment","admin_id":"5","body":"x"}`
	h := intercomHeader()
	h.Del("Intercom-Version")
	if status, _, b := faketest.Do(t, http.MethodPost, f.URL()+"/conversations/1/reply", body, h); status != 200 {
		t.Errorf("without version: %d %s", status, b)
	}
	h.Set("Intercom-Version", "9.9")
	if status, _, _ := faketest.Do(t, http.MethodPost, f.URL()+"/conversations/1/reply", body, h); status != 400 {
		t.Errorf("unknown version accepted: %d", status)
	}
}

func TestIntercomScript(t *testing.T) {
	f := newTestIntercom(t)
	url := f.URL() + "/conversations/1/reply"
	body := `{"type":"admin","message_type":"comment","admin_id":"991267696","body":"x"}`
	post := func() (int, http.Header, []byte) { return faketest.Do(t, http.MethodPost, url, body, intercomHeader()) }

	f.Enqueue(
		platformfake.Response{Status: 500},
		platformfake.Response{},
		Error(404, "not_found", "Resource Not Found"),
		platformfake.Response{Status: 200, Body: "<html>oops</html>"},
		platformfake.Response{Status: 429, Header: http.Header{"Retry-After": {"7"}}},
		platformfake.Response{Status: 200, Empty: true},
	)
	status, _, b := post()
	if status != 500 || faketest.DecodeJSON(t, b)["type"] != "error.list" {
		t.Errorf("1: %d %s", status, b)
	}
	if status, _, b = post(); status != 200 || faketest.DecodeJSON(t, b)["type"] != "conversation" {
		t.Errorf("2: %d %s", status, b)
	}
	if status, _, b = post(); status != 404 || !strings.Contains(string(b), "Resource Not Found") {
		t.Errorf("3: %d %s", status, b)
	}
	status, h, b := post()
	if status != 200 || string(b) != "<html>oops</html>" || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("4: %d %q %s", status, h.Get("Content-Type"), b)
	}
	if status, h, _ = post(); status != 429 || h.Get("Retry-After") != "7" || h.Get("X-RateLimit-Limit") != "" {
		t.Errorf("5: %d %v", status, h)
	}
	if status, _, b = post(); status != 200 || len(b) != 0 {
		t.Errorf("6: %d %q", status, b)
	}
	if status, _, _ = post(); status != 200 {
		t.Errorf("queue drained: %d", status)
	}
	st := f.Stats()
	if st.Valid != 7 || st.Accepted != 4 || st.Violations != 0 {
		t.Errorf("stats %+v", st)
	}

	f.SetHook(func(r platformfake.Recorded) *platformfake.Response {
		if r.TargetID == "404" {
			return &platformfake.Response{Status: 404}
		}
		return nil
	})
	if status, _, _ := faketest.Do(t, http.MethodPost, f.URL()+"/conversations/404/reply", body, intercomHeader()); status != 404 {
		t.Errorf("hook: %d", status)
	}
	if status, _, _ := post(); status != 200 {
		t.Errorf("hook fell through: %d", status)
	}
	f.Reset()
	if f.Count() != 0 || len(f.Requests()) != 0 {
		t.Error("Reset kept requests")
	}
}

func TestIntercomDelayAndDrop(t *testing.T) {
	f := newTestIntercom(t)
	body := `{"type":"admin","message_type":"comment","admin_id":"991267696","body":"x"}`
	f.Enqueue(platformfake.Response{Delay: 100 * time.Millisecond}, platformfake.Response{Drop: true})
	start := time.Now()
	if status, _, _ := faketest.Do(t, http.MethodPost, f.URL()+"/conversations/1/reply", body, intercomHeader()); status != 200 {
		t.Errorf("delayed: %d", status)
	}
	if time.Since(start) < 100*time.Millisecond {
		t.Error("delay not applied")
	}
	req, _ := http.NewRequest(http.MethodPost, f.URL()+"/conversations/1/reply", strings.NewReader(body))
	req.Header = intercomHeader()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped connection answered %d", resp.StatusCode)
	}
	if f.Count() != 2 {
		t.Errorf("dropped request not recorded: %d", f.Count())
	}
}

func TestRateLimitFixedWindows(t *testing.T) {
	c := faketest.NewClock(time.Unix(1_700_000_000, 0).Add(3 * time.Second))
	f := New(Options{Token: testToken, RateLimit: platformfake.RateLimit{Limit: 3, Window: 10 * time.Second}, Now: c.Now})
	defer f.Close()
	body := `{"type":"admin","message_type":"comment","admin_id":"1","body":"x"}`
	post := func() (int, http.Header) {
		status, h, _ := faketest.Do(t, http.MethodPost, f.URL()+"/tickets/1/reply", body, intercomHeader())
		return status, h
	}
	wantReset := "1700000010"
	for i, want := range []struct {
		status    int
		remaining string
	}{{200, "2"}, {200, "1"}, {200, "0"}, {429, "0"}, {429, "0"}} {
		status, h := post()
		if status != want.status || h.Get("X-RateLimit-Remaining") != want.remaining ||
			h.Get("X-RateLimit-Limit") != "3" || h.Get("X-RateLimit-Reset") != wantReset {
			t.Errorf("request %d: %d limit=%s remaining=%s reset=%s", i+1, status,
				h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset"))
		}
	}
	if f.RateLimited() != 2 {
		t.Errorf("RateLimited() = %d, want 2", f.RateLimited())
	}
	c.Add(7 * time.Second) // next window
	if status, h := post(); status != 200 || h.Get("X-RateLimit-Remaining") != "2" || h.Get("X-RateLimit-Reset") != "1700000020" {
		t.Errorf("new window: %d %v", status, h)
	}
	// Headers ride on violations too.
	_, h, _ := faketest.Do(t, http.MethodPost, f.URL()+"/tickets/1/reply", `{}`, intercomHeader())
	if h.Get("X-RateLimit-Remaining") != "1" {
		t.Errorf("violation without rate-limit headers: %v", h)
	}
}

func TestIntercomConcurrentUniqueIDs(t *testing.T) {
	f := New(Options{Token: testToken, RateLimit: platformfake.RateLimit{Limit: 1000, Window: time.Hour}})
	defer f.Close()
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf(`{"type":"admin","message_type":"note","admin_id":"1","body":"n%d"}`, i)
			if status, _, b := faketest.Do(t, http.MethodPost, f.URL()+"/tickets/7/reply", body, intercomHeader()); status != 200 {
				t.Errorf("status %d: %s", status, b)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, r := range f.Requests() {
		if seen[r.ResponseID] {
			t.Fatalf("response id %s repeated", r.ResponseID)
		}
		seen[r.ResponseID] = true
	}
	if len(seen) != n || f.Stats().Accepted != n {
		t.Errorf("%d ids, stats %+v", len(seen), f.Stats())
	}
}

func TestDisableRecording(t *testing.T) {
	f := New(Options{DisableRecording: true})
	defer f.Close()
	body := `{"type":"admin","message_type":"note","admin_id":"1","body":"n"}`
	faketest.Do(t, http.MethodPost, f.URL()+"/tickets/7/reply", body, intercomHeader())
	if f.Count() != 1 || f.Requests() != nil {
		t.Errorf("Count %d, Requests %v", f.Count(), f.Requests())
	}
}
