package e2e

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
)

// testDuplicate: Intercom retries a notification with the same id; so
// can a WHMCS hook. Either way one reply goes out, however the copies
// arrive.
func testDuplicate(t *testing.T, f *fakes, bot *Bot) {
	f.checkViolations(t)
	t.Run("sequential", func(t *testing.T) {
		body := conversationEvent(t, "notif_e2e-dedup-1", "7100000101")
		post(t, bot, "intercom", "intercom", body, "accepted")
		ans := post(t, bot, "intercom", "intercom", body, "duplicate")
		if ans.Actions != 0 {
			t.Errorf("duplicate answer = %+v; want 0 actions", ans)
		}
		waitIdle(t, bot)
		if n := len(f.to("7100000101")); n != 1 {
			t.Errorf("%d replies; want exactly 1", n)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		body := whmcsOpenEvent(t, "TicketOpen-e2e-dedup-2", "5101")
		const copies = 6
		statuses := make([]string, copies)
		var wg sync.WaitGroup
		for i := range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, raw := bot.Post("whmcs", "whmcs", body)
				var ans webhookAnswer
				_ = json.Unmarshal([]byte(raw), &ans)
				statuses[i] = http.StatusText(code) + " " + ans.Status
			}()
		}
		wg.Wait()
		sort.Strings(statuses)
		want := []string{"OK accepted", "OK duplicate", "OK duplicate", "OK duplicate", "OK duplicate", "OK duplicate"}
		if !reflect.DeepEqual(statuses, want) {
			t.Errorf("answers = %q; want one accepted and the rest duplicate", statuses)
		}
		waitIdle(t, bot)
		if n := len(f.to("5101")); n != 1 {
			t.Errorf("%d replies; want exactly 1", n)
		}
	})
}

// testBadSignature: a delivery that is not signed with the source's
// secret is refused with 401 and leaves no trace: no job, no history, no
// reply. The same delivery correctly signed afterwards is still accepted
// (a refused copy must not poison deduplication).
func testBadSignature(t *testing.T, f *fakes, bot *Bot) {
	f.checkViolations(t)
	ic := conversationEvent(t, "notif_e2e-signature", "7100000201")
	wh := whmcsOpenEvent(t, "TicketOpen-e2e-signature", "5201")
	icHeader, whHeader := signatureHeader("intercom"), signatureHeader("whmcs")
	cases := []struct {
		name, source   string
		body           []byte
		header, sig    string
		wantReasonPart string
	}{
		{"intercom missing header", "intercom", ic, "", "", "header missing"},
		{"intercom signed with another secret", "intercom", ic, icHeader, signature("intercom", []byte("not-the-secret"), ic), "does not match"},
		{"intercom signature of another body", "intercom", ic, icHeader, signature("intercom", []byte(IntercomSecret), wh), "does not match"},
		{"intercom malformed signature", "intercom", ic, icHeader, "sha1=zz", "must be"},
		{"intercom whmcs scheme", "intercom", ic, whHeader, signature("whmcs", []byte(IntercomSecret), ic), "header missing"},
		{"whmcs missing header", "whmcs", wh, "", "", "header missing"},
		{"whmcs signed with the intercom secret", "whmcs", wh, whHeader, signature("whmcs", []byte(IntercomSecret), wh), "does not match"},
		{"whmcs uppercase hex", "whmcs", wh, whHeader, strings.ToUpper(signature("whmcs", []byte(WHMCSSecret), wh)), "must be"},
	}
	jobsBefore := bot.totalJobs()
	for _, c := range cases {
		series := `autoresponder_webhook_requests_total{outcome="bad_signature",source="` + c.source + `"}`
		before := bot.counter(series)
		code, raw := bot.PostSigned(c.source, c.body, c.header, c.sig)
		if code != http.StatusUnauthorized || !strings.Contains(raw, c.wantReasonPart) {
			t.Errorf("%s: POST = %d %s; want 401 saying %q", c.name, code, raw, c.wantReasonPart)
		}
		if after := bot.counter(series); after != before+1 {
			t.Errorf("%s: %s went %v -> %v; want +1", c.name, series, before, after)
		}
	}
	if after := bot.totalJobs(); after != jobsBefore {
		t.Errorf("autoresponder_queue_jobs total went %v -> %v after refused deliveries", jobsBefore, after)
	}
	for _, id := range []string{"notif_e2e-signature", "TicketOpen-e2e-signature"} {
		if h := history(t, bot, "event_id="+id); len(h) != 0 {
			t.Errorf("history of refused event %s = %+v; want none", id, h)
		}
		if d := deadLettersOf(deadLetters(t, bot, ""), id); len(d) != 0 {
			t.Errorf("dead letters of refused event %s = %+v; want none", id, d)
		}
	}
	if n := len(f.to("7100000201")) + len(f.to("5201")); n != 0 {
		t.Fatalf("the fakes got %d requests for refused deliveries", n)
	}

	post(t, bot, "intercom", "intercom", ic, "accepted")
	post(t, bot, "whmcs", "whmcs", wh, "accepted")
	waitIdle(t, bot)
	if a, b := len(f.to("7100000201")), len(f.to("5201")); a != 1 || b != 1 {
		t.Errorf("after correctly signed copies: %d intercom and %d whmcs replies; want 1 each", a, b)
	}
}

// testMalformed: deliveries that cannot be events get 400 and say why.
func testMalformed(t *testing.T, f *fakes, bot *Bot) {
	f.checkViolations(t)
	cases := []struct {
		name, source string
		body         string
		want         string
	}{
		{"truncated JSON", "intercom", `{"type": "notification_event", "topic": `, "not JSON"},
		{"not an object", "intercom", `["notification_event"]`, "must be a JSON object, not an array"},
		{"empty body", "intercom", ``, "body is empty"},
		{"not a notification", "intercom", `{"type": "conversation", "id": "x", "topic": "conversation.user.created"}`, `type must be "notification_event"`},
		{"no item", "intercom", `{"type": "notification_event", "id": "notif_e2e-bad", "topic": "conversation.user.created", "created_at": 1768471200, "data": {}}`, "data.item missing"},
		{"whmcs without ticket id", "whmcs", `{"event": "TicketOpen", "id": "TicketOpen-e2e-bad", "occurred_at": "2026-01-15T10:00:00Z", "vars": {"message": "hi"}}`, "vars.ticketid missing"},
		{"whmcs bad time", "whmcs", `{"event": "TicketOpen", "id": "TicketOpen-e2e-bad", "occurred_at": "yesterday", "vars": {"ticketid": 1}}`, "occurred_at must be an RFC 3339 time"},
		{"whmcs truncated JSON", "whmcs", `{"event": "TicketOpen", "vars": {`, "not JSON"},
	}
	jobsBefore := bot.totalJobs()
	for _, c := range cases {
		code, raw := bot.Post(c.source, c.source, []byte(c.body))
		var ans webhookAnswer
		_ = json.Unmarshal([]byte(raw), &ans)
		if code != http.StatusBadRequest || !strings.Contains(ans.Error, c.want) {
			t.Errorf("%s: POST = %d %s; want 400 with an error containing %q", c.name, code, raw, c.want)
		}
	}
	if after := bot.totalJobs(); after != jobsBefore {
		t.Errorf("autoresponder_queue_jobs total went %v -> %v after malformed deliveries", jobsBefore, after)
	}
}

// testPing: Intercom's ping is answered 200 and never reaches the rules,
// even a rule written for it.
func testPing(t *testing.T, f *fakes, bot *Bot) {
	f.checkViolations(t)
	ignored := `autoresponder_webhook_ignored_total{reason="ping",source="intercom"}`
	for _, c := range []struct {
		name string
		body func(t *testing.T) []byte
	}{
		{"real capture", func(t *testing.T) []byte { return SharedPayload(t, "ping.json") }},
		{"testdata copy", func(t *testing.T) []byte { return payload(t, "intercom_ping.json", nil) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := c.body(t)
			before := bot.counter(ignored)
			ans := post(t, bot, "intercom", "intercom", body, "ignored")
			if ans.Reason != "ping" {
				t.Errorf("answer = %+v; want reason ping", ans)
			}
			if after := bot.counter(ignored); after != before+1 {
				t.Errorf("%s went %v -> %v; want +1", ignored, before, after)
			}
		})
	}
	waitIdle(t, bot)
	if m := bot.counter(`autoresponder_rule_matches_total{rule="ping-trap"}`); m != 0 {
		t.Errorf("ping-trap matched %v times; want 0", m)
	}
	if n := len(f.to("7100000301")); n != 0 {
		t.Errorf("a ping caused %d replies", n)
	}
}

// testRoutes: Intercom checks the URL with HEAD; unknown sources are 404.
func testRoutes(t *testing.T, f *fakes, bot *Bot) {
	f.checkViolations(t)
	for _, c := range []struct {
		path string
		want int
	}{
		{"/webhooks/intercom", http.StatusOK},
		{"/webhooks/whmcs", http.StatusOK},
		{"/webhooks/zendesk", http.StatusNotFound},
	} {
		if got := head(t, bot.URL+c.path); got != c.want {
			t.Errorf("HEAD %s = %d; want %d", c.path, got, c.want)
		}
	}
	unknown := `autoresponder_webhook_requests_total{outcome="unknown_source",source="unknown"}`
	before := bot.counter(unknown)
	body := conversationEvent(t, "notif_e2e-unknown-source", "7100000001")
	code, raw := bot.PostSigned("zendesk", body, signatureHeader("intercom"), signature("intercom", []byte(IntercomSecret), body))
	if code != http.StatusNotFound || !strings.Contains(raw, "unknown source") {
		t.Errorf("POST /webhooks/zendesk = %d %s; want 404 unknown source", code, raw)
	}
	if after := bot.counter(unknown); after != before+1 {
		t.Errorf("%s went %v -> %v; want +1", unknown, before, after)
	}
}
