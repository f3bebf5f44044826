package intercom_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/intercom"
	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
)

// TestIntercomLoopGuardOnActions: the bot's own closes, assignments and
// ticket changes come back withheld; the same changes by a teammate, and
// topics that report no change by an admin, reach the rules.
func TestIntercomLoopGuardOnActions(t *testing.T) {
	const bot, human = "814860", "991267001"
	author := func(id string) string { return `{"type":"admin","id":"` + id + `"}` }
	ticketEvent := func(topic string, parts ...string) string {
		list := ""
		for n, p := range parts {
			if n > 0 {
				list += ","
			}
			list += p
		}
		return `{"type":"notification_event","id":"notif_1","topic":"` + topic + `","created_at":1767225600,` +
			`"data":{"item":{"type":"ticket","id":"215472629311235","ticket_parts":{"ticket_parts":[` + list + `]}}}}`
	}
	part := func(id string, at int, by string) string {
		return `{"type":"ticket_part","id":"` + id + `","part_type":"ticket_state_updated_by_admin","created_at":` + strconv.Itoa(at) + `,"author":` + by + `}`
	}
	convEvent := func(topic, by string) string {
		return `{"type":"notification_event","id":"notif_2","topic":"` + topic + `","created_at":1767225600,` +
			`"data":{"item":{"type":"conversation","id":"71","conversation_parts":{"conversation_parts":[` +
			`{"id":"p1","part_type":"close","body":null,"author":` + by + `}]}}}}`
	}
	tests := []struct {
		name, body, want string
	}{
		{"conversation closed by the bot", convEvent("conversation.admin.closed", author(bot)), platform.IgnoredOwnReply},
		{"conversation closed by a teammate", convEvent("conversation.admin.closed", author(human)), ""},
		{"ticket closed by the bot", ticketEvent("ticket.closed", part("1", 100, author(human)), part("2", 200, author(bot))), platform.IgnoredOwnReply},
		{"ticket closed by a teammate after the bot", ticketEvent("ticket.closed", part("1", 100, author(bot)), part("2", 200, author(human))), ""},
		{"newest part decides, not list order", ticketEvent("ticket.state.updated", part("2", 200, author(bot)), part("1", 100, author(human))), platform.IgnoredOwnReply},
		{"ticket assigned by a teammate", ticketEvent("ticket.admin.assigned", part("1", 100, author(human))), ""},
		{"a rating is the customer's, whoever changed the ticket last", ticketEvent("ticket.rating.provided", part("1", 100, author(bot))), ""},
		{"ticket change with no parts", ticketEvent("ticket.attribute.updated"), ""},
		{"Fin's change is not the bot's", ticketEvent("ticket.closed", part("1", 100, `{"type":"bot","id":"`+bot+`"}`)), ""},
	}
	s := intercomfake.Suite()
	p := intercom.New()
	self := p.Identity(&platform.Account{Name: "bot", Settings: &platform.Settings{Values: map[string]string{"admin_id": bot}}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Now()
			ev, err := platform.Parse(p, "src", s.Deliver([]byte(tt.body), nil, now), now)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := p.LoopGuard(ev, []platform.Identity{self}); got != tt.want {
				t.Errorf("LoopGuard = %q, want %q", got, tt.want)
			}
		})
	}
}
