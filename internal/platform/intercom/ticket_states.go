package intercom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// ticketStateTTL is how long one GET /ticket_states answer is used. States
// change rarely (an admin edits them in the workspace settings), and an id
// that went stale meanwhile is caught by Intercom's 400, which also empties
// the cache.
const ticketStateTTL = 10 * time.Minute

// codeTicketStateInvalid is Intercom's 400 code for a ticket_state_id that
// does not exist or that the ticket's type does not use.
const codeTicketStateInvalid = "ticket_state_id_invalid"

// ticketState is the part of a ticket_state_detailed the replier reads.
type ticketState struct {
	ID            httpapi.ID `json:"id"`
	Category      string     `json:"category"`
	InternalLabel string     `json:"internal_label"`
	Archived      bool       `json:"archived"`
}

// stateCache holds one replier's view of the workspace's ticket states.
// One lookup runs at a time and the others wait for it (or give up with
// their context), so concurrent actions after expiry make one GET.
type stateCache struct {
	lock    chan struct{} // a one-slot lock a waiter can abandon
	states  []ticketState // nil: not fetched, or forgotten
	expires time.Time
}

func newStateCache() *stateCache { return &stateCache{lock: make(chan struct{}, 1)} }

// get returns the cached states, fetching them when missing or expired.
func (c *stateCache) get(ctx context.Context, now time.Time, fetch func(context.Context) ([]ticketState, *replier.Error)) ([]ticketState, *replier.Error) {
	select {
	case c.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, &replier.Error{Reason: replier.ReasonTimeout, Retry: true, Message: "waiting for GET /ticket_states: " + ctx.Err().Error()}
	}
	defer func() { <-c.lock }()
	if c.states != nil && now.Before(c.expires) {
		return c.states, nil
	}
	states, e := fetch(ctx)
	if e != nil {
		return nil, e
	}
	c.states, c.expires = states, now.Add(ticketStateTTL)
	return states, nil
}

// forget drops the cached states, so the next action asks Intercom again.
func (c *stateCache) forget() {
	c.lock <- struct{}{}
	c.states = nil
	<-c.lock
}

// firstOfCategory is the first unarchived state of category, in the order
// Intercom lists them. An archived state is skipped: teammates can no
// longer pick it either.
func firstOfCategory(states []ticketState, category string) (ticketState, bool) {
	i := slices.IndexFunc(states, func(s ticketState) bool { return s.Category == category && !s.Archived })
	if i < 0 {
		return ticketState{}, false
	}
	return states[i], true
}

// ticketState moves a ticket to the first state of category with
// PUT /tickets/{id} ticket_state_id. A ticket type can restrict its
// states; Intercom then refuses the id with a 400, which is final: the
// dead letter names the category, the state and what Intercom said.
func (a *action) ticketState(ctx context.Context, category string) (replier.Result, *replier.Error) {
	admin, e := a.ticketAdmin()
	if e != nil {
		return replier.Result{}, e
	}
	states, e := a.i.states.get(ctx, a.i.c.Now(), a.listTicketStates)
	if e != nil {
		return replier.Result{}, e
	}
	st, ok := firstOfCategory(states, category)
	if !ok {
		return replier.Result{}, a.i.c.InvalidRequest("status %s on ticket %s: GET /ticket_states lists no unarchived state of category %s", category, a.target.ID, category)
	}
	segments := []string{"tickets", a.target.ID}
	resp, e := a.do(ctx, http.MethodPut, segments, ticketUpdate{TicketStateID: string(st.ID), AdminID: admin})
	if e != nil {
		return replier.Result{}, e
	}
	if resp.OK() {
		return a.result(resp), nil
	}
	if resp.Status == http.StatusBadRequest && hasErrorCode(resp.Body, codeTicketStateInvalid) {
		a.i.states.forget() // the list may be stale; the next action reads it again
		return replier.Result{}, a.i.c.StatusError(resp, fmt.Sprintf(
			"status %s on ticket %s: Intercom refused ticket state %s (%q, the first %s state GET /ticket_states lists; the ticket's type may not use it): %s",
			category, a.target.ID, st.ID, st.InternalLabel, category, a.i.errorMessage(resp)))
	}
	return replier.Result{}, a.refused(resp, http.MethodPut, segments, "the "+a.row.Scope+" scope")
}

// listTicketStates is GET /ticket_states (listTicketStates), read as a
// ticket_state_list.
func (a *action) listTicketStates(ctx context.Context) ([]ticketState, *replier.Error) {
	segments := []string{"ticket_states"}
	resp, e := a.do(ctx, http.MethodGet, segments, nil)
	if e != nil {
		return nil, e
	}
	if !resp.OK() {
		// The reference names no scope for reading states; Intercom's
		// own 403 message does.
		return nil, a.refused(resp, http.MethodGet, segments, "access to the workspace's ticket states")
	}
	if resp.ReadErr != nil {
		return nil, a.i.c.InvalidResponse(resp, "GET /ticket_states: HTTP %d but %v", resp.Status, resp.ReadErr)
	}
	states, err := parseTicketStates(resp.Body)
	if err != nil {
		return nil, a.i.c.InvalidResponse(resp, "GET /ticket_states: %v: %s", err, a.i.c.Snippet(resp.Body))
	}
	return states, nil
}

// parseTicketStates reads a ticket_state_list: {"type":"list","data":[…]}.
func parseTicketStates(body []byte) ([]ticketState, error) {
	var list struct {
		Type string        `json:"type"`
		Data []ticketState `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("the response is not a list of ticket states: %w", err)
	}
	if list.Type != "" && list.Type != "list" {
		return nil, fmt.Errorf("the response is a %q, not a list", list.Type)
	}
	if list.Data == nil {
		return nil, errors.New("the list has no data")
	}
	for n, s := range list.Data {
		if s.ID == "" {
			return nil, fmt.Errorf("ticket state %d has no id", n+1)
		}
	}
	return list.Data, nil
}

// hasErrorCode reports whether an error.list body carries code.
func hasErrorCode(body []byte, code string) bool {
	var list intercomErrorList
	if json.Unmarshal(body, &list) != nil {
		return false
	}
	for _, e := range list.Errors {
		if e.Code == code {
			return true
		}
	}
	return false
}
