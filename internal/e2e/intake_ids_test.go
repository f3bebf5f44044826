package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/testpg"
)

// intakeIDRules replies to new Intercom conversations with a note on the
// conversation the customer's message names: a target built from customer
// text. WHMCS tickets get the usual reply.
const intakeIDRules = `
  - name: ic-custom-target
    source: intercom
    when: topic == "conversation.user.created"
    reply:
      as: note
      to: {type: conversation, id: "{{ message.text }}"}
      body: "<p>Seen.</p>"
  - name: wh-reply
    source: whmcs
    when: topic == "TicketOpen"
    reply:
      as: comment
      body: "Ticket {{ ticket.number }} received."
`

// incompressibleID is n hex digits that do not compress: PostgreSQL
// compresses a long repetitive value before indexing it, which hides the
// btree limit real ids run into.
func incompressibleID(n int) string {
	var b strings.Builder
	sum := sha256.Sum256([]byte("e2e"))
	for b.Len() < n {
		b.WriteString(hex.EncodeToString(sum[:]))
		sum = sha256.Sum256(sum[:])
	}
	return b.String()[:n]
}

// newHostileKitOn is newHostileKit on the store dbURL selects ("" for
// SQLite).
func newHostileKitOn(t *testing.T, dbURL, rules string) *hostileKit {
	t.Helper()
	return newHostileKitWith(t, rules, Config{DatabaseURL: dbURL})
}

// intakeStores runs test once on SQLite and once on PostgreSQL (skipped
// without BOT_TEST_DATABASE_URL).
func intakeStores(t *testing.T, test func(t *testing.T, dbURL string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, "") })
	t.Run("postgres", func(t *testing.T) { test(t, testpg.Fresh(t)) })
}

// TestLongIDsNeverPoison: an id longer than the store can index used to be
// a 503 forever on PostgreSQL (btree entries are limited to about 2.7 KB).
// An over-long id in the body is a 400 naming the field and the limit, on
// every try; an over-long target a rule renders from customer text is that
// reply's dead letter, recorded at intake. The bot keeps working.
func TestLongIDsNeverPoison(t *testing.T) {
	intakeStores(t, func(t *testing.T, dbURL string) {
		k := newHostileKitOn(t, dbURL, intakeIDRules)
		long := incompressibleID(3000)

		refused := []struct {
			name, source string
			body         []byte
			reason       string
		}{
			{"Intercom event id", "intercom", hostileIntercomEvent(long, "9500000001"), "id is 3000 bytes, longer than the 1024 allowed"},
			{"Intercom conversation id", "intercom", hostileIntercomEvent("notif_long-conv", long), "data.item.id is 3000 bytes, longer than the 1024 allowed"},
			{"WHMCS event id", "whmcs", hostileWHMCSEvent(long, 95001), "id is 3000 bytes, longer than the 1024 allowed"},
			{"WHMCS ticket id", "whmcs", []byte(`{"event":"TicketOpen","id":"TicketOpen-long","occurred_at":"2026-01-15T10:00:00Z",` +
				`"vars":{"ticketid":"` + long + `","subject":"Help","message":"Hello"}}`), "vars.ticketid is 3000 bytes, longer than the 1024 allowed"},
		}
		for _, r := range refused {
			for try := 1; try <= 2; try++ { // the platform's retry gets the same answer
				code, body := k.bot.Post(r.source, r.source, r.body)
				if code != http.StatusBadRequest || !strings.Contains(body, r.reason) {
					t.Errorf("%s, try %d: %d %s; want 400 %q", r.name, try, code, body, r.reason)
				}
			}
		}

		// The customer's message is the target: 3000 bytes of it.
		id := "notif_long-target"
		body := []byte(strings.Replace(string(hostileIntercomEvent(id, "9500000002")), "<p>Hello, I need help</p>", long, 1))
		code, answer := k.bot.Post("intercom", "intercom", body)
		if code != http.StatusOK || !strings.Contains(answer, `"status":"accepted"`) || !strings.Contains(answer, `"actions":0`) {
			t.Fatalf("event whose rule renders a 3000-byte target: %d %s; want 200 accepted with 0 actions", code, answer)
		}
		dead := deadLettersOf(k.deadLetters("limit=1000"), id)
		if len(dead) != 1 || dead[0].Reason != "render_error" || !strings.Contains(dead[0].Error, "target id is 3000 bytes, longer than the 1024") {
			t.Errorf("dead letters of %s = %+v; want one render_error naming the target id and the limit", id, dead)
		}
		if h := k.history("event_id=" + id); len(h) != 1 || h[0].Outcome != "dead_lettered" {
			t.Errorf("history of %s = %+v; want one dead_lettered record", id, h)
		}
		if n := k.ic.Stats().Requests; n != 0 {
			t.Errorf("Intercom got %d requests; want none", n)
		}
		k.healthy()
		// A normal WHMCS event still goes out.
		wh := k.wh.Stats().Accepted
		if code, body := k.bot.Post("whmcs", "whmcs", hostileWHMCSEvent("TicketOpen-after-long", 95002)); code != http.StatusOK || !strings.Contains(body, `"actions":1`) {
			t.Fatalf("valid WHMCS event: %d %s", code, body)
		}
		WaitFor(t, 20*time.Second, "the reply to the valid event", func() bool { return k.wh.Stats().Accepted == wh+1 })
	})
}

// TestExactNumbers: WHMCS ticket id 9007199254740993 (2^53+1) used to
// become ...992 on its way through float64. It now reaches the platform,
// the template and the history digit for digit, and rules that compare
// numbers keep working.
func TestExactNumbers(t *testing.T) {
	const rules = `
  - name: wh-high-priority
    source: whmcs
    when: topic == "TicketOpen" && event.vars.urgency > 2 && event.vars.deptid == 5
    reply:
      as: comment
      body: "Ticket {{ event.vars.ticketid }} ({{ ticket.id }}) is urgent."
`
	k := newHostileKitOn(t, "", rules)
	const big = "9007199254740993"
	post := func(id string, urgency int) string {
		t.Helper()
		body := []byte(fmt.Sprintf(`{"event":"TicketOpen","id":%q,"occurred_at":"2026-01-15T10:00:00Z",`+
			`"vars":{"ticketid":%s,"deptid":5,"urgency":%d,"userid":17,"subject":"Help","message":"Hello"}}`, id, big, urgency))
		code, answer := k.bot.Post("whmcs", "whmcs", body)
		if code != http.StatusOK {
			t.Fatalf("post %s: %d %s", id, code, answer)
		}
		return answer
	}
	if answer := post("TicketOpen-calm", 1); !strings.Contains(answer, `"actions":0`) {
		t.Errorf("urgency 1 > 2 matched: %s", answer)
	}
	if answer := post("TicketOpen-urgent", 3); !strings.Contains(answer, `"actions":1`) {
		t.Fatalf("urgency 3 > 2 && deptid == 5 did not match: %s", answer)
	}
	WaitFor(t, 20*time.Second, "the reply", func() bool { return k.wh.Stats().Accepted == 1 })
	reqs := k.wh.Requests()
	if len(reqs) != 1 || reqs[0].TargetID != big {
		t.Fatalf("WHMCS requests = %+v; want one for ticket %s", reqs, big)
	}
	if got, want := reqs[0].Form["message"], "Ticket "+big+" ("+big+") is urgent."; got != want {
		t.Errorf("reply = %q; want %q", got, want)
	}
	WaitFor(t, 10*time.Second, "the history", func() bool { return len(k.history("event_id=TicketOpen-urgent")) == 1 })
	if h := k.history("event_id=TicketOpen-urgent"); h[0].Target.ID != big {
		t.Errorf("history target = %q; want %s", h[0].Target.ID, big)
	}
}
