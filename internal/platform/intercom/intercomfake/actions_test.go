package intercomfake

import (
	"net/http"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/platformfake/faketest"
)

// TestIntercomRejectsBadActions: every action endpoint refuses what the
// 2.16 schemas do not allow, so the replier's action tests prove something.
func TestIntercomRejectsBadActions(t *testing.T) {
	const admin = `"admin_id":"991267696"`
	tests := []struct {
		name, method, path, body string
		wantViolation            string
	}{
		{"GET tags", http.MethodGet, "/tags", `{"name":"x"}`, "method GET"},
		{"PUT parts", http.MethodPut, "/conversations/1/parts", `{"message_type":"open",` + admin + `}`, "method PUT"},
		{"POST a conversation update", http.MethodPost, "/conversations/1", `{"custom_attributes":{"a":"b"}}`, "method POST"},
		{"ticket parts", http.MethodPost, "/tickets/1/parts", `{"message_type":"open",` + admin + `}`, "no such endpoint"},
		{"tag without name", "", "/tags", `{}`, "name is required"},
		{"tag blank name", "", "/tags", `{"name":" "}`, "name is empty"},
		{"tag with users", "", "/tags", `{"name":"x","users":[{"id":"1"}]}`, `unknown field "users"`},
		{"attach unknown tag", "", "/conversations/1/tags", `{"id":"99",` + admin + `}`, `no such tag`},
		{"attach numeric tag id", "", "/tickets/1/tags", `{"id":99,` + admin + `}`, "id: want a string"},
		{"attach without admin", "", "/conversations/1/tags", `{"id":"99"}`, "admin_id is required"},
		{"attach other admin", "", "/conversations/1/tags", `{"id":"99","admin_id":"1"}`, `admin_id "1"`},
		{"unknown part type", "", "/conversations/1/parts", `{"message_type":"note",` + admin + `}`, `message_type "note"`},
		{"close without type", "", "/conversations/1/parts", `{"message_type":"close",` + admin + `}`, "type is required"},
		{"close by a team", "", "/conversations/1/parts", `{"message_type":"close","type":"team",` + admin + `}`, `type "team"`},
		{"open with type", "", "/conversations/1/parts", `{"message_type":"open","type":"admin",` + admin + `}`, `unknown field "type"`},
		{"snooze without until", "", "/conversations/1/parts", `{"message_type":"snoozed",` + admin + `}`, "snoozed_until is required"},
		{"snooze until as text", "", "/conversations/1/parts", `{"message_type":"snoozed",` + admin + `,"snoozed_until":"1893553445"}`, "snoozed_until: want an integer"},
		{"snooze into the past", "", "/conversations/1/parts", `{"message_type":"snoozed",` + admin + `,"snoozed_until":1000}`, "not in the future"},
		{"assign to a group", "", "/conversations/1/parts", `{"message_type":"assignment","type":"group",` + admin + `,"assignee_id":"1"}`, `type "group"`},
		{"assign without assignee", "", "/conversations/1/parts", `{"message_type":"assignment","type":"admin",` + admin + `}`, "assignee_id is required"},
		{"assign by email", "", "/conversations/1/parts", `{"message_type":"assignment","type":"admin",` + admin + `,"assignee_id":"a@b.c"}`, "not an admin or team id"},
		{"custom attributes not an object", http.MethodPut, "/conversations/1", `{"custom_attributes":["a"]}`, "custom_attributes: want an object"},
		{"custom attribute nested", http.MethodPut, "/conversations/1", `{"custom_attributes":{"a":{"b":1}}}`, "custom_attributes.a"},
		{"conversation priority", http.MethodPut, "/conversations/1", `{"priority":"high"}`, `unknown field "priority"`},
		{"ticket admin as string", http.MethodPut, "/tickets/1", `{"open":false,"admin_id":"991267696"}`, "admin_id: want an integer"},
		{"ticket other admin", http.MethodPut, "/tickets/1", `{"open":false,"admin_id":1}`, "admin_id 1"},
		{"ticket assignee as number", http.MethodPut, "/tickets/1", `{"assignee_id":5,"admin_id":991267696}`, "assignee_id: want a string"},
		{"ticket open as string", http.MethodPut, "/tickets/1", `{"open":"false","admin_id":991267696}`, "open: want a boolean"},
		{"ticket old assignment shape", http.MethodPut, "/tickets/1", `{"assignment":{"admin_id":"1","assignee_id":"2"}}`, `unknown field "assignment"`},
		{"ticket state by name", http.MethodPut, "/tickets/1", `{"state":"resolved","admin_id":991267696}`, `unknown field "state"`},
	}
	f := newTestIntercom(t)
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			status, _, body := faketest.Do(t, method, f.URL()+tt.path, tt.body, intercomHeader())
			if status < 400 {
				t.Errorf("status %d for a bad request (%s)", status, body)
			}
			v := f.Violations()
			if len(v) != n+1 {
				t.Fatalf("%d violations recorded, want %d", len(v), n+1)
			}
			if !strings.Contains(v[n], tt.wantViolation) {
				t.Errorf("violation %q does not mention %q", v[n], tt.wantViolation)
			}
		})
	}
}

// TestIntercomTicketUpdateNeedsNewShape: the flat admin_id is refused
// when the client pins a version before 2.14.
func TestIntercomTicketUpdateNeedsNewShape(t *testing.T) {
	f := New(Options{Token: testToken, AdminID: testAdminID})
	t.Cleanup(f.Close)
	h := intercomHeader()
	h.Set("Intercom-Version", "2.12")
	status, _, _ := faketest.Do(t, http.MethodPut, f.URL()+"/tickets/1", `{"open":false,"admin_id":991267696}`, h)
	if v := f.Violations(); status != 400 || len(v) != 1 || !strings.Contains(v[0], "2.14 or later") {
		t.Errorf("status %d, violations %q; want 400 naming 2.14", status, v)
	}
	h.Set("Intercom-Version", "2.14")
	if status, _, b := faketest.Do(t, http.MethodPut, f.URL()+"/tickets/1", `{"open":false,"admin_id":991267696}`, h); status != 200 {
		t.Errorf("2.14: status %d: %s", status, b)
	}
}
