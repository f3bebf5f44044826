package intercomfake

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// TicketState is one state GET /ticket_states lists (ticket_state_detailed
// in 2.16; Category is one of submitted, in_progress, waiting_on_customer
// and resolved).
type TicketState struct {
	ID, Category                 string
	InternalLabel, ExternalLabel string
	Archived                     bool
}

// DefaultTicketStates is the workspace the fake lists unless
// Options.TicketStates says otherwise: two or three states per category,
// in the order Intercom would list them, with one archived state that
// comes first in its category.
func DefaultTicketStates() []TicketState {
	return []TicketState{
		{ID: "8269", Category: "submitted", InternalLabel: "Submitted", ExternalLabel: "Submitted"},
		{ID: "8270", Category: "in_progress", InternalLabel: "Triage", ExternalLabel: "In progress", Archived: true},
		{ID: "8271", Category: "in_progress", InternalLabel: "In progress", ExternalLabel: "In progress"},
		{ID: "8272", Category: "waiting_on_customer", InternalLabel: "Waiting on customer", ExternalLabel: "Waiting on you"},
		{ID: "8273", Category: "resolved", InternalLabel: "Resolved", ExternalLabel: "Resolved"},
		{ID: "8274", Category: "submitted", InternalLabel: "Escalated", ExternalLabel: "Submitted"},
		{ID: "8275", Category: "in_progress", InternalLabel: "With dev team", ExternalLabel: "In progress"},
		{ID: "8276", Category: "waiting_on_customer", InternalLabel: "Waiting on third party", ExternalLabel: "Waiting on you"},
		{ID: "8277", Category: "resolved", InternalLabel: "Won't fix", ExternalLabel: "Closed"},
	}
}

// ticketStates is what the fake lists.
func (f *intercomPlatform) ticketStates() []TicketState {
	if f.opts.TicketStates != nil {
		return f.opts.TicketStates
	}
	return f.defaultStates
}

// ticketState finds a listed state by id.
func (f *intercomPlatform) ticketState(id string) (TicketState, bool) {
	states := f.ticketStates()
	i := slices.IndexFunc(states, func(s TicketState) bool { return s.ID == id })
	if i < 0 {
		return TicketState{}, false
	}
	return states[i], true
}

// checkTicketState answers a ticket_state_id the workspace does not list as
// Intercom does: 400 ticket_state_id_invalid. It is still a violation, as
// the replier only sends ids it read from GET /ticket_states.
func (f *intercomPlatform) checkTicketState(body map[string]any) *platformfake.Failure {
	id, ok := body["ticket_state_id"].(string)
	if !ok {
		return nil
	}
	if _, listed := f.ticketState(id); listed {
		return nil
	}
	return &platformfake.Failure{Status: http.StatusBadRequest, Code: "ticket_state_id_invalid", Problems: []string{
		fmt.Sprintf("Ticket state id is not valid or is not associated with the ticket type (%q is not listed by GET /ticket_states)", id)}}
}

// ticketStateList is the 2.16 ticket_state_list: every state with its
// ticket types (the fake's workspace has one ticket type, using them all).
func (f *intercomPlatform) ticketStateList() []byte {
	ticketType := map[string]any{
		"type": "ticket_type", "id": "55", "name": "Customer request", "description": "A customer's request.",
		"icon": "🎟️", "archived": false, "is_internal": false, "category": "Customer",
	}
	data := make([]any, 0, len(f.ticketStates()))
	for _, s := range f.ticketStates() {
		data = append(data, map[string]any{
			"type": "ticket_state", "id": s.ID, "category": s.Category,
			"internal_label": s.InternalLabel, "external_label": s.ExternalLabel, "archived": s.Archived,
			"ticket_types": map[string]any{"type": "list", "data": []any{ticketType}},
		})
	}
	return platformfake.MustJSON(map[string]any{"type": "list", "data": data})
}

// ticketStateJSON is the ticket_state a ticket carries, nil when unset.
func (f *intercomPlatform) ticketStateJSON(id string) any {
	s, ok := f.ticketState(id)
	if !ok {
		return nil
	}
	return map[string]any{"type": "ticket_state", "id": s.ID, "category": s.Category,
		"internal_label": s.InternalLabel, "external_label": s.ExternalLabel}
}
