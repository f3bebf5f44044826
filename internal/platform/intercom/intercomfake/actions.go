package intercomfake

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// Target is what the fake knows of one conversation or ticket: what the
// action endpoints change. A target the fake has not seen is open, untagged
// and unassigned.
type Target struct {
	Tags  []string // tag names, in the order they were attached
	State string   // open, closed or snoozed
	// TicketStateID is a ticket's ticket_state_id, once an update set it.
	TicketStateID string
	SnoozedUntil  int64 // unix seconds, when snoozed
	// AdminAssignee and TeamAssignee are a conversation's assignees; a
	// ticket's assignee_id (admin or team) is Assignee.
	AdminAssignee, TeamAssignee, Assignee string
	// Attributes are conversation custom_attributes or ticket_attributes.
	Attributes map[string]any
	// LastAdmin is the admin_id of the last action, as sent.
	LastAdmin string
}

// state is the workspace as the action endpoints see it.
type state struct {
	tagIDs   map[string]string // lower-case name -> id
	tagNames map[string]string // id -> name as first created
	targets  map[string]*Target
}

func newState() *state {
	return &state{tagIDs: map[string]string{}, tagNames: map[string]string{}, targets: map[string]*Target{}}
}

// Target types, as Target and SeedTags take them.
const (
	TypeConversation = "conversation"
	TypeTicket       = "ticket"
)

// Target returns a copy of what the fake knows of a conversation or a
// ticket (typ TypeConversation or TypeTicket).
func (f *Fake) Target(typ, id string) Target {
	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	t := *f.p.st.target(typ, id)
	t.Tags = slices.Clone(t.Tags)
	t.Attributes = maps.Clone(t.Attributes)
	return t
}

// SeedTags tags a target as if a teammate had, creating the tags.
func (f *Fake) SeedTags(typ, id string, names ...string) {
	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	t := f.p.st.target(typ, id)
	for _, n := range names {
		f.p.st.tag(n)
		if !slices.Contains(t.Tags, n) {
			t.Tags = append(t.Tags, n)
		}
	}
}

// TagID is the id of a tag by name (case-insensitive), if it exists.
func (f *Fake) TagID(name string) (string, bool) {
	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	id, ok := f.p.st.tagIDs[strings.ToLower(name)]
	return id, ok
}

func (f *intercomPlatform) knownTag(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.st.tagNames[id]
	return ok
}

func (s *state) target(typ, id string) *Target {
	key := typ + "/" + id
	t, ok := s.targets[key]
	if !ok {
		t = &Target{State: "open"}
		s.targets[key] = t
	}
	return t
}

// tag finds or creates a tag by name, as POST /tags does.
func (s *state) tag(name string) string {
	if id, ok := s.tagIDs[strings.ToLower(name)]; ok {
		return id
	}
	id := strconv.Itoa(7_000_000 + len(s.tagIDs))
	s.tagIDs[strings.ToLower(name)] = id
	s.tagNames[id] = name
	return id
}

// actionSuccess applies a valid action request to the state and answers
// as Intercom does.
func (f *intercomPlatform) actionSuccess(rec *platformfake.Recorded, n int64) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := rec.Time.Unix()
	b := rec.Body
	str := func(k string) string { s, _ := b[k].(string); return s }
	num := func(k string) int64 {
		v, _ := b[k].(json.Number)
		i, _ := v.Int64()
		return i
	}
	switch rec.Endpoint {
	case EndpointTicketStates:
		return f.ticketStateList()
	case EndpointTags:
		id := f.st.tag(str("name"))
		rec.ResponseID = id
		return platformfake.MustJSON(map[string]any{"type": "tag", "id": id, "name": f.st.tagNames[id]})
	case EndpointConversationTags, EndpointTicketTags:
		typ := TypeConversation
		if rec.Endpoint == EndpointTicketTags {
			typ = TypeTicket
		}
		t := f.st.target(typ, rec.TargetID)
		name := f.st.tagNames[str("id")]
		if !slices.ContainsFunc(t.Tags, func(s string) bool { return strings.EqualFold(s, name) }) {
			t.Tags = append(t.Tags, name)
		}
		t.LastAdmin = str("admin_id")
		rec.ResponseID = str("id")
		return platformfake.MustJSON(map[string]any{
			"type": "tag", "id": str("id"), "name": name, "applied_at": now,
			"applied_by": map[string]any{"type": "admin", "id": str("admin_id")},
		})
	case EndpointConversationParts:
		t := f.st.target(TypeConversation, rec.TargetID)
		t.LastAdmin = str("admin_id")
		partType := str("message_type")
		var assignedTo any
		switch partType {
		case "close":
			t.State, t.SnoozedUntil = "closed", 0
		case "open":
			t.State, t.SnoozedUntil = "open", 0
		case "snoozed":
			t.State, t.SnoozedUntil = "snoozed", num("snoozed_until")
		case "assignment":
			if str("type") == "team" {
				t.TeamAssignee = str("assignee_id")
			} else {
				t.AdminAssignee = str("assignee_id")
			}
			assignedTo = map[string]any{"type": str("type"), "id": str("assignee_id")}
		}
		partID := strconv.FormatInt(1_000_000+n, 10)
		rec.ResponseID = partID
		return f.conversationJSON(rec.TargetID, t, now, map[string]any{
			"type": "conversation_part", "id": partID, "part_type": partType, "body": b["body"],
			"created_at": now, "updated_at": now, "notified_at": now, "assigned_to": assignedTo,
			"author": map[string]any{"type": "admin", "id": str("admin_id")}, "attachments": []any{}, "redacted": false,
		})
	case EndpointConversationUpdate:
		t := f.st.target(TypeConversation, rec.TargetID)
		mergeAttributes(t, b["custom_attributes"])
		rec.ResponseID = rec.TargetID
		return f.conversationJSON(rec.TargetID, t, now, nil)
	default: // EndpointTicketUpdate
		t := f.st.target(TypeTicket, rec.TargetID)
		mergeAttributes(t, b["ticket_attributes"])
		if open, ok := b["open"].(bool); ok {
			t.State, t.SnoozedUntil = map[bool]string{true: "open", false: "closed"}[open], 0
		}
		if until := num("snoozed_until"); until != 0 {
			t.State, t.SnoozedUntil = "snoozed", until
		}
		if id := str("assignee_id"); id != "" {
			t.Assignee = id
		}
		if id := str("ticket_state_id"); id != "" {
			t.TicketStateID = id
		}
		if admin, ok := b["admin_id"].(json.Number); ok {
			t.LastAdmin = admin.String()
		}
		rec.ResponseID = rec.TargetID
		var snoozed any
		if t.SnoozedUntil != 0 {
			snoozed = t.SnoozedUntil
		}
		return platformfake.MustJSON(map[string]any{
			"type": "ticket", "id": rec.TargetID, "ticket_id": rec.TargetID, "ticket_attributes": t.Attributes,
			"open": t.State != "closed", "snoozed_until": snoozed, "admin_assignee_id": t.Assignee,
			"ticket_state": f.ticketStateJSON(t.TicketStateID),
			"created_at":   now, "updated_at": now,
		})
	}
}

func (f *intercomPlatform) conversationJSON(id string, t *Target, now int64, part map[string]any) []byte {
	var snoozed any
	if t.SnoozedUntil != 0 {
		snoozed = t.SnoozedUntil
	}
	tags := make([]any, len(t.Tags))
	for i, name := range t.Tags {
		tags[i] = map[string]any{"type": "tag", "id": f.st.tagIDs[strings.ToLower(name)], "name": name}
	}
	conv := map[string]any{
		"type": "conversation", "id": id, "created_at": now, "updated_at": now,
		"open": t.State != "closed", "state": t.State, "snoozed_until": snoozed, "read": false,
		"admin_assignee_id": t.AdminAssignee, "team_assignee_id": t.TeamAssignee,
		"tags": map[string]any{"type": "tag.list", "tags": tags}, "custom_attributes": t.Attributes,
	}
	if part != nil {
		conv["conversation_parts"] = map[string]any{"type": "conversation_part.list", "conversation_parts": []any{part}, "total_count": 1}
	}
	return platformfake.MustJSON(conv)
}

// mergeAttributes applies the attributes named; the others stay.
func mergeAttributes(t *Target, v any) {
	attrs, _ := v.(map[string]any)
	if len(attrs) == 0 {
		return
	}
	if t.Attributes == nil {
		t.Attributes = map[string]any{}
	}
	maps.Copy(t.Attributes, attrs)
}
