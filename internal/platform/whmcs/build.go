package whmcs

import (
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// WHMCS ticket hook points (PLATFORMS.md), as integrations/whmcs sends them.
const (
	HookTicketOpen             = "TicketOpen"
	HookTicketOpenAdmin        = "TicketOpenAdmin"
	HookTicketUserReply        = "TicketUserReply"
	HookTicketAdminReply       = "TicketAdminReply"
	HookTicketAddNote          = "TicketAddNote"
	HookTicketStatusChange     = "TicketStatusChange"
	HookTicketClose            = "TicketClose"
	HookTicketPriorityChange   = "TicketPriorityChange"
	HookTicketDepartmentChange = "TicketDepartmentChange"
)

// Build implements platform.Platform: it fills ev from a delivery of the
// WHMCS hook file:
// {"event": hook point, "id": unique id, "occurred_at": RFC 3339, "vars": {...}}.
//
// Every known hook point needs vars.ticketid; an unknown one is accepted
// without it (and gets no target). Ids and text may be strings or numbers.
func (p *Platform) Build(ev *event.Event, root map[string]any, _ *platform.Delivery) error {
	var err error
	if ev.Topic, err = payload.RequiredString(root, "event", "event"); err != nil {
		return err
	}
	if ev.ID, err = payload.RequiredString(root, "id", "id"); err != nil {
		return err
	}
	at, err := payload.RequiredString(root, "occurred_at", "occurred_at")
	if err != nil {
		return err
	}
	if ev.OccurredAt, err = time.Parse(time.RFC3339, at); err != nil {
		return payload.BadRequestf("occurred_at must be an RFC 3339 time, not %q", at)
	}
	vars, err := payload.RequiredObject(root, "vars", "vars")
	if err != nil {
		return err
	}

	// Read every variable the hook points define; each hook point sends
	// its own subset, the others stay "".
	var v whmcsVars
	for _, f := range [...]struct {
		key string
		dst *string
	}{
		{"ticketid", &v.ticketID}, {"ticketmask", &v.ticketMask}, {"userid", &v.userID},
		{"replyid", &v.replyID}, {"adminid", &v.adminID}, {"admin", &v.admin},
		{"deptname", &v.deptName}, {"subject", &v.subject}, {"priority", &v.priority},
		{"status", &v.status},
	} {
		if *f.dst, err = optionalScalar(vars, f.key); err != nil {
			return err
		}
	}
	msg, hasMessage := vars["message"]
	if hasMessage && msg != nil {
		if _, ok := payload.Scalar(msg); !ok {
			return payload.BadRequestf("vars.message must be a string, not %s", payload.TypeName(msg))
		}
	}

	if err := payload.BoundedID(v.ticketID, "vars.ticketid"); err != nil {
		return err
	}
	if err := payload.BoundedID(v.userID, "vars.userid"); err != nil {
		return err
	}
	if v.ticketID == "" {
		if p.knownTopic(ev.Topic) {
			return payload.BadRequest("vars.ticketid missing")
		}
		return nil
	}
	ev.Target = event.Target{Type: event.TargetTicket, ID: v.ticketID}
	ev.Ticket = &event.Ticket{
		ID: v.ticketID, Number: v.ticketMask, Subject: v.subject, Department: v.deptName,
		Priority: v.priority, Status: v.status,
	}
	// userid 0 is a guest (no client account).
	if v.userID != "" && v.userID != "0" {
		ev.Contact = &event.Contact{ID: v.userID}
	}
	if hasMessage && msg != nil {
		body := payload.Str(msg)
		ev.Message = &event.Message{ID: v.replyID, HTML: body, Text: event.MessageText(body), Author: v.author(ev.Topic)}
	}
	return nil
}

type whmcsVars struct {
	ticketID, ticketMask, userID, replyID, adminID, admin string
	deptName, subject, priority, status                   string
}

// author says who wrote the message of a hook point.
func (v *whmcsVars) author(hook string) event.Author {
	switch hook {
	case HookTicketOpen, HookTicketUserReply:
		return event.Author{Type: "client", ID: v.userID}
	case HookTicketOpenAdmin, HookTicketAdminReply, HookTicketAddNote:
		return event.Author{Type: "admin", ID: v.adminID, Name: v.admin}
	}
	return event.Author{}
}

// optionalScalar reads vars[key], which may be absent, null, a string or a
// number.
func optionalScalar(vars map[string]any, key string) (string, error) {
	s, ok := payload.Scalar(vars[key])
	if !ok {
		return "", payload.BadRequestf("vars.%s must be a string or a number, not %s", key, payload.TypeName(vars[key]))
	}
	return s, nil
}
