package whmcs

import (
	"slices"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// statusChangeGuard withholds a TicketStatusChange whose adminid is the
// bot's admin: the status action (UpdateTicket) runs as the API
// credential's admin, so a change the bot made comes back naming it and
// must neither trigger rules nor cancel timers. The event has no message
// to carry an author, so the id is read from the delivery's vars.
//
// TicketClose, TicketPriorityChange and TicketDepartmentChange carry no
// actor at all (PLATFORMS.md, PLATFORMS-NEXT.md §2.3): the bot's own
// close, priority and department changes cannot be told apart from an
// admin's (docs/platforms/whmcs-stock.md says so).
func statusChangeGuard(ev *event.Event, self []platform.Identity) string {
	vars, _ := ev.Payload["vars"].(map[string]any)
	admin, ok := payload.Scalar(vars["adminid"])
	if !ok || admin == "" || admin == "0" {
		return ""
	}
	for _, id := range self {
		if slices.Contains(id.IDs, admin) {
			return platform.IgnoredOwnReply
		}
	}
	return ""
}
