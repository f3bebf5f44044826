package whmcs_test

import (
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
)

// TestLoopGuardStatusChanges: a status change the bot's admin made (its
// own status action) never reaches rules; another admin's still does.
func TestLoopGuardStatusChanges(t *testing.T) {
	const bot = "7"
	cases := []struct {
		name    string
		body    string
		adminID string // the account's admin_id
		want    string
	}{
		{"bot's change, adminid a number", `{"event":"TicketStatusChange","id":"a","occurred_at":"2026-01-15T10:30:00Z","vars":{"adminid":7,"status":"Closed","ticketid":1042}}`, bot, platform.IgnoredOwnReply},
		{"bot's change, adminid a string", `{"event":"TicketStatusChange","id":"b","occurred_at":"2026-01-15T10:30:00Z","vars":{"adminid":"7","status":"On Hold","ticketid":"1042"}}`, bot, platform.IgnoredOwnReply},
		{"another admin's change", `{"event":"TicketStatusChange","id":"c","occurred_at":"2026-01-15T10:30:00Z","vars":{"adminid":3,"status":"Closed","ticketid":1042}}`, bot, ""},
		{"no admin (adminid 0)", `{"event":"TicketStatusChange","id":"d","occurred_at":"2026-01-15T10:30:00Z","vars":{"adminid":0,"status":"Closed","ticketid":1042}}`, bot, ""},
		{"no adminid", `{"event":"TicketStatusChange","id":"e","occurred_at":"2026-01-15T10:30:00Z","vars":{"status":"Closed","ticketid":1042}}`, bot, ""},
		{"bot's admin_id not configured", `{"event":"TicketStatusChange","id":"f","occurred_at":"2026-01-15T10:30:00Z","vars":{"adminid":7,"status":"Closed","ticketid":1042}}`, "", ""},
		// TicketPriorityChange names no admin: the bot's own priority
		// action cannot be told apart (documented limitation).
		{"priority change carries no actor", `{"event":"TicketPriorityChange","id":"g","occurred_at":"2026-01-15T10:30:00Z","vars":{"priority":"High","ticketid":1042}}`, bot, ""},
	}
	p := whmcs.New()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := time.Now()
			ev, err := platform.Parse(p, "src", &platform.Delivery{Body: []byte(c.body), Now: now}, now)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			values := map[string]string{}
			if c.adminID != "" {
				values["admin_id"] = c.adminID
			}
			self := p.Identity(&platform.Account{Name: "bot", Settings: &platform.Settings{Values: values}})
			if got := p.LoopGuard(ev, []platform.Identity{self}); got != c.want {
				t.Errorf("LoopGuard = %q, want %q", got, c.want)
			}
		})
	}
}
