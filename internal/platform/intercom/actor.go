package intercom

import (
	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// ticketChangeTopics report a change a teammate (or the bot, through an
// action) made to a ticket. Their item is the ticket; the change is its
// newest ticket part, authored by whoever made it (the admin_id sent with
// PUT /tickets/{id}).
var ticketChangeTopics = map[string]bool{
	"ticket.state.updated":     true,
	"ticket.admin.assigned":    true,
	"ticket.team.assigned":     true,
	"ticket.attribute.updated": true,
	"ticket.closed":            true,
}

// ticketActor is the author of the newest part of a ticket-change event's
// ticket: who made the change. It is only read to withhold the bot's own
// actions, so it does not become the event's message.
func ticketActor(ev *event.Event) (typ, id string) {
	if ev.Target.Type != event.TargetTicket || !ticketChangeTopics[ev.Topic] {
		return "", ""
	}
	parts, _ := payload.Object(ev.Item["ticket_parts"])["ticket_parts"].([]any)
	var newest map[string]any
	var newestAt float64
	for _, p := range parts {
		p := payload.Object(p)
		if p == nil {
			continue
		}
		// Parts come oldest first; created_at decides if they do not.
		at := partTime(p["created_at"])
		if newest == nil || at >= newestAt {
			newest, newestAt = p, at
		}
	}
	author := payload.Object(newest["author"])
	return payload.Str(author["type"]), payload.Str(author["id"])
}

// partTime reads a part's created_at for ordering (payload numbers are
// int64 or float64; anything else counts as 0).
func partTime(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}
