package intercom_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake/faketest"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/replier"
)

// countGets is how many GET /ticket_states the fake answered.
func countGets(f *intercomfake.Fake) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Endpoint == intercomfake.EndpointTicketStates {
			n++
		}
	}
	return n
}

// TestIntercomTicketStateCategories: each category moves the ticket to the
// first unarchived state of that category the workspace lists, with one
// GET /ticket_states (no body) and one PUT /tickets/{id}.
func TestIntercomTicketStateCategories(t *testing.T) {
	tests := []struct {
		category, wantState string
	}{
		{"submitted", "8269"},
		{"in_progress", "8271"}, // 8270, listed first, is archived
		{"waiting_on_customer", "8272"},
		{"resolved", "8273"},
	}
	for _, tt := range tests {
		t.Run(tt.category, func(t *testing.T) {
			fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
			res, err := r.Replier.Send(ctx(t), act(platform.ActionStatus, ticket("42"), status(tt.category, "")))
			if err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, fake.Violations())
			}
			got := fake.Requests()
			if len(got) != 2 {
				t.Fatalf("%d calls, want GET /ticket_states then PUT /tickets/42: %v", len(got), got)
			}
			if got[0].Method != "GET" || got[0].Path != "/ticket_states" || len(got[0].RawBody) != 0 || got[0].Header.Get("Content-Type") != "" {
				t.Errorf("call 1: %s %s %q (Content-Type %q), want a bare GET /ticket_states", got[0].Method, got[0].Path, got[0].RawBody, got[0].Header.Get("Content-Type"))
			}
			wantBody := `{"ticket_state_id":"` + tt.wantState + `","admin_id":991267696}`
			if got[1].Method != "PUT" || got[1].Path != "/tickets/42" || string(got[1].RawBody) != wantBody {
				t.Errorf("call 2: %s %s %s, want PUT /tickets/42 %s", got[1].Method, got[1].Path, got[1].RawBody, wantBody)
			}
			for n, c := range got {
				if c.Header.Get("Intercom-Version") != testVersion || c.Header.Get("Authorization") != "Bearer "+testToken {
					t.Errorf("call %d lacks the version or the token", n+1)
				}
			}
			if tk := fake.Target(intercomfake.TypeTicket, "42"); tk.TicketStateID != tt.wantState || tk.LastAdmin != testAdminID {
				t.Errorf("ticket in state %q by %q, want %s by the bot", tk.TicketStateID, tk.LastAdmin, tt.wantState)
			}
			if res.ResponseID != "42" {
				t.Errorf("response id %q, want the ticket 42", res.ResponseID)
			}
		})
	}
}

// TestIntercomTicketStatesCached: the states are read once per replier for
// ten minutes; after that, or after Intercom refused a state id, the next
// action reads them again.
func TestIntercomTicketStatesCached(t *testing.T) {
	refused := intercomfake.Error(400, "ticket_state_id_invalid", "Ticket state id is not valid or is not associated with the ticket type")
	tests := []struct {
		name     string
		wait     time.Duration           // between the two actions
		answers  []platformfake.Response // for the first action's calls
		wantGets int
	}{
		{"two actions in a row", 0, nil, 1},
		{"just inside ten minutes", 10*time.Minute - time.Second, nil, 1},
		{"after ten minutes", 10 * time.Minute, nil, 2},
		{"after a refused state id", 0, []platformfake.Response{{}, refused}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := faketest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
			fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{Now: clock.Now})
			fake.Enqueue(tt.answers...)
			_, err := r.Replier.Send(ctx(t), act(platform.ActionStatus, ticket("42"), status("in_progress", "")))
			if (err != nil) != (tt.answers != nil) {
				t.Fatalf("first action: %v", err)
			}
			clock.Add(tt.wait)
			if _, err := r.Replier.Send(ctx(t), act(platform.ActionStatus, ticket("43"), status("resolved", ""))); err != nil {
				t.Fatalf("second action: %v", err)
			}
			if got := countGets(fake); got != tt.wantGets {
				t.Errorf("%d GET /ticket_states, want %d", got, tt.wantGets)
			}
			if got := fake.Target(intercomfake.TypeTicket, "43").TicketStateID; got != "8273" {
				t.Errorf("second ticket in state %q, want 8273", got)
			}
		})
	}
}

// TestIntercomTicketStatesConcurrent: actions sent at once share one
// lookup, and every ticket gets its state (run with -race).
func TestIntercomTicketStatesConcurrent(t *testing.T) {
	fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
	ids := []string{"1", "2", "3", "4", "5", "6", "7", "8"}
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for n, id := range ids {
		wg.Go(func() {
			_, errs[n] = r.Replier.Send(ctx(t), act(platform.ActionStatus, ticket(id), status("waiting_on_customer", "")))
		})
	}
	wg.Wait()
	for n, id := range ids {
		if errs[n] != nil {
			t.Errorf("ticket %s: %v", id, errs[n])
		}
		if got := fake.Target(intercomfake.TypeTicket, id).TicketStateID; got != "8272" {
			t.Errorf("ticket %s in state %q, want 8272", id, got)
		}
	}
	if got := countGets(fake); got != 1 {
		t.Errorf("%d GET /ticket_states for %d concurrent actions, want 1", got, len(ids))
	}
}

// TestIntercomTicketStateErrors: Intercom refusing the state, the lookup
// failing, or the workspace having no state of the category each stop the
// action with a message saying why; only a 5xx is retried.
func TestIntercomTicketStateErrors(t *testing.T) {
	invalidMsg := "Ticket state id is not valid or is not associated with the ticket type"
	onlyResolved := []intercomfake.TicketState{
		{ID: "1", Category: "resolved", InternalLabel: "Resolved"},
		{ID: "2", Category: "in_progress", InternalLabel: "Old", Archived: true},
	}
	tests := []struct {
		name     string
		states   []intercomfake.TicketState
		category string
		answers  []platformfake.Response
		calls    int
		reason   replier.Reason
		retry    bool
		want     []string
	}{
		{"the ticket's type does not use the state", nil, "resolved",
			[]platformfake.Response{{}, intercomfake.Error(400, "ticket_state_id_invalid", invalidMsg)}, 2,
			replier.ReasonClientError, false, []string{"status resolved on ticket 42", `ticket state 8273 ("Resolved"`, "ticket_state_id_invalid: " + invalidMsg}},
		{"no unarchived state of the category", onlyResolved, "in_progress", nil, 1,
			replier.ReasonInvalidRequest, false, []string{"lists no unarchived state of category in_progress"}},
		{"403 on the lookup", nil, "resolved",
			[]platformfake.Response{intercomfake.Error(403, "forbidden", "You do not have the required scope")}, 1,
			replier.ReasonClientError, false, []string{"GET /ticket_states was refused", "ticket states", "forbidden: You do not have the required scope"}},
		{"500 on the lookup is retried", nil, "resolved", []platformfake.Response{{Status: 500}}, 1,
			replier.ReasonServerError, true, []string{"GET /ticket_states"}},
		{"a list without data", nil, "resolved", []platformfake.Response{{Body: `{"type":"list"}`}}, 1,
			replier.ReasonInvalidResponse, false, []string{"GET /ticket_states", "no data"}},
		{"a state without an id", nil, "resolved", []platformfake.Response{{Body: `{"type":"list","data":[{"type":"ticket_state","category":"resolved"}]}`}}, 1,
			replier.ReasonInvalidResponse, false, []string{"ticket state 1 has no id"}},
		{"403 on the update names write_tickets", nil, "resolved",
			[]platformfake.Response{{}, intercomfake.Error(403, "forbidden", "scope write_tickets")}, 2,
			replier.ReasonClientError, false, []string{"write_tickets scope", "PUT /tickets/42"}},
		{"ticket gone is permanent", nil, "submitted",
			[]platformfake.Response{{}, intercomfake.Error(404, "ticket_not_found", "Ticket not found")}, 2,
			replier.ReasonClientError, false, []string{"ticket_not_found: Ticket not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, r := newIntercomPair(t, intercomfake.Options{TicketStates: tt.states}, IntercomConfig{})
			fake.Enqueue(tt.answers...)
			_, err := r.Replier.Send(ctx(t), act(platform.ActionStatus, ticket("42"), status(tt.category, "")))
			e := platformtest.WantError(t, err, tt.reason, tt.retry)
			for _, w := range tt.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q does not say %q", e.Message, w)
				}
			}
			if strings.Contains(e.Message, testToken) {
				t.Errorf("message quotes the token: %q", e.Message)
			}
			if got := fake.Count(); got != tt.calls {
				t.Errorf("%d calls, want %d", got, tt.calls)
			}
			if got := fake.Target(intercomfake.TypeTicket, "42").TicketStateID; got != "" {
				t.Errorf("ticket in state %q after a failed action", got)
			}
		})
	}
}
