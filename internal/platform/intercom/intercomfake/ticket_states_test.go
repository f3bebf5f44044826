package intercomfake

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/platformfake/faketest"
)

// getHeader is what a client sends with a GET: no body, no Content-Type.
func getHeader() http.Header {
	h := intercomHeader()
	h.Del("Content-Type")
	return h
}

// TestIntercomListsTicketStates: GET /ticket_states answers a 2.16
// ticket_state_list, several states per category, in the options' order.
func TestIntercomListsTicketStates(t *testing.T) {
	own := []TicketState{{ID: "1", Category: "resolved", InternalLabel: "Done", ExternalLabel: "Done"}}
	tests := []struct {
		name    string
		states  []TicketState
		wantIDs string
	}{
		{"default workspace", nil, "8269,8270,8271,8272,8273,8274,8275,8276,8277"},
		{"the options' states", own, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(Options{Token: testToken, APIVersion: testVersion, TicketStates: tt.states})
			t.Cleanup(f.Close)
			status, _, body := faketest.Do(t, http.MethodGet, f.URL()+"/ticket_states", "", getHeader())
			if status != http.StatusOK {
				t.Fatalf("status %d: %s (violations %q)", status, body, f.Violations())
			}
			var list struct {
				Type string `json:"type"`
				Data []struct {
					Type, ID, Category, InternalLabel, ExternalLabel string
					Archived                                         *bool
					TicketTypes                                      struct{ Type string } `json:"ticket_types"`
				} `json:"data"`
			}
			if err := json.Unmarshal(body, &list); err != nil {
				t.Fatalf("not a list: %v", err)
			}
			var ids []string
			perCategory := map[string]int{}
			for _, s := range list.Data {
				ids = append(ids, s.ID)
				perCategory[s.Category]++
				if s.Type != "ticket_state" || s.Archived == nil || s.TicketTypes.Type != "list" {
					t.Errorf("state %s: type %q, archived %v, ticket_types %q; want the ticket_state_detailed shape", s.ID, s.Type, s.Archived, s.TicketTypes.Type)
				}
			}
			if list.Type != "list" || strings.Join(ids, ",") != tt.wantIDs {
				t.Errorf("%s of %v, want a list of %s", list.Type, ids, tt.wantIDs)
			}
			if tt.states == nil {
				for _, c := range []string{"submitted", "in_progress", "waiting_on_customer", "resolved"} {
					if perCategory[c] < 2 {
						t.Errorf("category %s has %d states, want several", c, perCategory[c])
					}
				}
			}
			f.AssertNoViolations(t)
		})
	}
}

// TestIntercomTicketStateID: PUT /tickets/{id} takes only a listed
// ticket_state_id, answers Intercom's 400 otherwise, and keeps the state
// it set; GET /ticket_states is checked like every endpoint.
func TestIntercomTicketStateID(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		header                   http.Header
		wantStatus               int
		wantCode                 string // error code, for a refusal
		wantViolation            string // "" when the request is valid
		wantStateID              string // ticket 1's ticket_state_id afterwards
	}{
		{"a listed state", http.MethodPut, "/tickets/1", `{"ticket_state_id":"8275","admin_id":991267696}`, intercomHeader(),
			200, "", "", "8275"},
		{"an archived state is still listed", http.MethodPut, "/tickets/1", `{"ticket_state_id":"8270","admin_id":991267696}`, intercomHeader(),
			200, "", "", "8270"},
		{"an unlisted state", http.MethodPut, "/tickets/1", `{"ticket_state_id":"9999","admin_id":991267696}`, intercomHeader(),
			400, "ticket_state_id_invalid", `"9999" is not listed`, ""},
		{"a state id as a number", http.MethodPut, "/tickets/1", `{"ticket_state_id":8271,"admin_id":991267696}`, intercomHeader(),
			400, "parameter_invalid", "ticket_state_id: want a string", ""},
		{"GET with a body", http.MethodGet, "/ticket_states", `{}`, getHeader(),
			400, "parameter_invalid", "takes no body", ""},
		{"POST /ticket_states", http.MethodPost, "/ticket_states", `{}`, intercomHeader(),
			404, "not_found", "method POST", ""},
		{"GET without a token", http.MethodGet, "/ticket_states", "", func() http.Header { h := getHeader(); h.Del("Authorization"); return h }(),
			401, "unauthorized", "Access Token Invalid", ""},
		{"GET with another version", http.MethodGet, "/ticket_states", "", func() http.Header { h := getHeader(); h.Set("Intercom-Version", "2.15"); return h }(),
			400, "parameter_invalid", `Intercom-Version "2.15"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestIntercom(t)
			status, _, body := faketest.Do(t, tt.method, f.URL()+tt.path, tt.body, tt.header)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", status, tt.wantStatus, body)
			}
			if tt.wantCode != "" {
				if got := faketest.DecodeJSON(t, body); !strings.Contains(string(body), `"code":"`+tt.wantCode+`"`) {
					t.Errorf("error body %v, want code %s", got, tt.wantCode)
				}
			}
			v := f.Violations()
			switch {
			case tt.wantViolation == "" && len(v) > 0:
				t.Errorf("violations %q for a valid request", v)
			case tt.wantViolation != "" && (len(v) != 1 || !strings.Contains(v[0], tt.wantViolation)):
				t.Errorf("violations %q, want one saying %q", v, tt.wantViolation)
			}
			if got := f.Target(TypeTicket, "1").TicketStateID; got != tt.wantStateID {
				t.Errorf("ticket_state_id %q afterwards, want %q", got, tt.wantStateID)
			}
			if tt.wantStateID != "" {
				ticket := faketest.DecodeJSON(t, body)
				state, _ := ticket["ticket_state"].(map[string]any)
				if state["id"] != tt.wantStateID || state["type"] != "ticket_state" {
					t.Errorf("answered ticket_state %v, want state %s", ticket["ticket_state"], tt.wantStateID)
				}
			}
		})
	}
}
