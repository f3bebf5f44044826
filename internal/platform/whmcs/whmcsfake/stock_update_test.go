package whmcsfake

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"testing"
)

// stockUpdate is an UpdateTicket the fake accepts, with edit applied.
func stockUpdate(edit func(url.Values)) stockRaw {
	f := url.Values{
		"action": {"UpdateTicket"}, "identifier": {StockIdentifier}, "secret": {StockSecret},
		"responsetype": {"json"}, "ticketid": {"42"}, "status": {"Closed"},
	}
	edit(f)
	return stockPost(f)
}

func TestStockUpdateRefusesBadRequests(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name    string
		req     stockRaw
		message string
	}{
		{"no ticketid", stockUpdate(func(f url.Values) { f.Del("ticketid") }), "Ticket ID Not Found"},
		{"nothing to change", stockUpdate(func(f url.Values) { f.Del("status") }), "fake: nothing to update"},
		{"status in lower case", stockUpdate(func(f url.Values) { f.Set("status", "closed") }), "Invalid Ticket Status. Valid statuses are: Open,Answered,Customer-Reply,Closed,On Hold,In Progress"},
		{"priority in lower case", stockUpdate(func(f url.Values) { f.Set("priority", "high") }), "Invalid Ticket Priority. Valid priorities are: Low,Medium,High"},
		{"priority Urgent", stockUpdate(func(f url.Values) { f.Set("priority", "Urgent") }), "Invalid Ticket Priority. Valid priorities are: Low,Medium,High"},
		{"unknown department", stockUpdate(func(f url.Values) { f.Set("deptid", "9") }), "Department ID Not Found"},
		{"flag not an id", stockUpdate(func(f url.Values) { f.Set("flag", "alice") }), "fake: flag"},
		{"flag 0", stockUpdate(func(f url.Values) { f.Set("flag", "0") }), "fake: flag"},
		{"flag and removeFlag", stockUpdate(func(f url.Values) { f.Set("flag", "3"); f.Set("removeFlag", "1") }), "fake: flag"},
		{"empty priority", stockUpdate(func(f url.Values) { f.Set("priority", "") }), "fake: empty parameter"},
		{"custom field keyed by name", stockUpdate(func(f url.Values) { f.Set("customfields", b64(`a:1:{s:3:"src";s:1:"x";}`)) }), "fake: customfields"},
		{"unknown parameter", stockUpdate(func(f url.Values) { f.Set("tags", "vip") }), "fake: unknown parameter"},
		{"adminusername", stockUpdate(func(f url.Values) { f.Set("adminusername", StockAdmin) }), "fake: unknown parameter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := NewStock(t)
			status, body := stockSend(t, s, c.req)
			var ans map[string]string
			if err := json.Unmarshal([]byte(body), &ans); err != nil || status != http.StatusOK || ans["result"] != "error" || ans["message"] != c.message {
				t.Errorf("HTTP %d %s, want WHMCS's error shape with %q", status, body, c.message)
			}
			if s.Accepted() != 0 || len(s.Problems()) == 0 {
				t.Errorf("accepted %d, problems %q: the fake let it through", s.Accepted(), s.Problems())
			}
			if got := s.Ticket("42"); got.Status != "" {
				t.Errorf("a refused update changed the ticket: %+v", got)
			}
		})
	}
}

func TestStockUpdateChangesTheTicket(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	s := NewStock(t)
	s.SetTicket("42", StockTicket{Flag: "3", CustomFields: map[string]string{"1": "kept", "2": "old"}})
	_, body := stockSend(t, s, stockUpdate(func(f url.Values) {
		f.Set("priority", "High")
		f.Set("deptid", "2")
		f.Set("customfields", b64(`a:1:{i:2;s:3:"new";}`))
	}))
	if body != `{"result":"success","ticketid":"42"}` {
		t.Fatalf("answer %s, problems %q", body, s.Problems())
	}
	got := s.Ticket("42")
	want := StockTicket{Status: "Closed", Priority: "High", Flag: "3", DeptID: "2", CustomFields: map[string]string{"1": "kept", "2": "new"}}
	if got.Status != want.Status || got.Priority != want.Priority || got.Flag != want.Flag || got.DeptID != want.DeptID ||
		!maps.Equal(got.CustomFields, want.CustomFields) {
		t.Errorf("ticket %+v, want %+v", got, want)
	}

	// A scripted refusal changes nothing.
	s.Answer(http.StatusOK, nil, StockError("Ticket ID Not Found"))
	stockSend(t, s, stockUpdate(func(f url.Values) { f.Set("status", "Open") }))
	if got := s.Ticket("42"); got.Status != "Closed" {
		t.Errorf("status %q after a refused update, want Closed", got.Status)
	}
	stockSend(t, s, stockUpdate(func(f url.Values) { f.Del("status"); f.Set("removeFlag", "1") }))
	if got := s.Ticket("42"); got.Flag != "" {
		t.Errorf("flag %q after removeFlag", got.Flag)
	}
}
