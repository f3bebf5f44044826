package intercomfake

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// Keys of the action bodies, from the 2.16 schemas
// (create_or_update_tag_request, the tag-attach bodies, the four
// manageConversation variants, update_conversation_request,
// update_ticket_request plus skip_notifications).
var (
	tagCreateKeys = []string{"name", "id"}
	tagAttachKeys = []string{"id", "admin_id"}
	partsKeys     = map[string][]string{
		"close":      {"message_type", "type", "admin_id", "body"},
		"snoozed":    {"message_type", "admin_id", "snoozed_until"},
		"open":       {"message_type", "admin_id"},
		"assignment": {"message_type", "type", "admin_id", "assignee_id", "body"},
	}
	conversationUpdateKeys = []string{"read", "title", "custom_attributes", "company_id"}
	ticketUpdateKeys       = []string{
		"ticket_attributes", "ticket_state_id", "company_id", "open", "is_shared",
		"snoozed_until", "admin_id", "assignee_id", "skip_notifications",
	}
)

// checkActionBody validates the body of an action endpoint and returns it
// parsed (numbers as json.Number).
func (f *intercomPlatform) checkActionBody(p *platformfake.Problems, endpoint, version string, raw []byte, now time.Time) map[string]any {
	fields := decodeObject(p, raw)
	if fields == nil {
		return nil
	}
	switch endpoint {
	case EndpointTags:
		onlyKeys(p, fields, tagCreateKeys, "POST /tags")
		if name, ok := platformfake.StringField(p, fields, "name", true); ok && strings.TrimSpace(name) == "" {
			p.Addf("name is empty")
		}
		if id, ok := platformfake.StringField(p, fields, "id", false); ok && !f.knownTag(id) {
			p.Addf("id %q: no such tag to update", id)
		}
	case EndpointConversationTags, EndpointTicketTags:
		onlyKeys(p, fields, tagAttachKeys, "a tag attachment")
		if id, ok := platformfake.StringField(p, fields, "id", true); ok && !f.knownTag(id) {
			p.Addf("id %q: no such tag (create it with POST /tags first)", id)
		}
		f.checkAdminString(p, fields)
	case EndpointConversationParts:
		f.checkParts(p, fields, now)
	case EndpointConversationUpdate:
		onlyKeys(p, fields, conversationUpdateKeys, "PUT /conversations/{id}")
		boolField(p, fields, "read")
		platformfake.StringField(p, fields, "title", false)
		platformfake.StringField(p, fields, "company_id", false)
		if raw, ok := fields["custom_attributes"]; ok {
			checkAttributes(p, "custom_attributes", raw)
			if version == "2.10" {
				p.Addf("custom_attributes: Intercom-Version 2.10 accepts only read")
			}
		}
	case EndpointTicketUpdate:
		f.checkTicketUpdate(p, fields, version, now)
	}
	return parse(p, raw)
}

func (f *intercomPlatform) checkParts(p *platformfake.Problems, fields map[string]json.RawMessage, now time.Time) {
	mt, _ := platformfake.StringField(p, fields, "message_type", true)
	keys, ok := partsKeys[mt]
	if !ok {
		p.Addf("message_type %q: want close, snoozed, open or assignment", mt)
		return
	}
	onlyKeys(p, fields, keys, "a "+mt+" part")
	f.checkAdminString(p, fields)
	platformfake.StringField(p, fields, "body", false)
	switch mt {
	case "close":
		if typ, ok := platformfake.StringField(p, fields, "type", true); ok && typ != "admin" {
			p.Addf("type %q: a close is by an admin", typ)
		}
	case "snoozed":
		if until, ok := intField(p, fields, "snoozed_until", true); ok && until <= now.Unix() {
			p.Addf("snoozed_until %d is not in the future", until)
		}
	case "assignment":
		if typ, ok := platformfake.StringField(p, fields, "type", true); ok && typ != "admin" && typ != "team" {
			p.Addf("type %q: want admin or team", typ)
		}
		if id, ok := platformfake.StringField(p, fields, "assignee_id", true); ok && !platformfake.IsDigits(id) {
			p.Addf("assignee_id %q is not an admin or team id", id)
		}
	}
}

func (f *intercomPlatform) checkTicketUpdate(p *platformfake.Problems, fields map[string]json.RawMessage, version string, now time.Time) {
	onlyKeys(p, fields, ticketUpdateKeys, "PUT /tickets/{id}")
	if major, minor, ok := parseVersion(version); ok && (major < 2 || major == 2 && minor < 14) {
		p.Addf("Intercom-Version %s: flat admin_id and assignee_id need 2.14 or later", version)
	}
	if raw, ok := fields["ticket_attributes"]; ok {
		checkAttributes(p, "ticket_attributes", raw)
	}
	for _, k := range []string{"ticket_state_id", "company_id"} {
		platformfake.StringField(p, fields, k, false)
	}
	for _, k := range []string{"open", "is_shared", "skip_notifications"} {
		boolField(p, fields, k)
	}
	if until, ok := intField(p, fields, "snoozed_until", false); ok && until <= now.Unix() {
		p.Addf("snoozed_until %d is not in the future", until)
	}
	if admin, ok := intField(p, fields, "admin_id", false); ok && f.opts.AdminID != "" && strconv.FormatInt(admin, 10) != f.opts.AdminID {
		p.Addf("admin_id %d: want %s", admin, f.opts.AdminID)
	}
	if id, ok := platformfake.StringField(p, fields, "assignee_id", false); ok && !platformfake.IsDigits(id) {
		p.Addf("assignee_id %q is not an admin or team id", id)
	}
}

// checkAdminString wants admin_id as a string naming the configured admin.
func (f *intercomPlatform) checkAdminString(p *platformfake.Problems, fields map[string]json.RawMessage) {
	if id, ok := platformfake.StringField(p, fields, "admin_id", true); ok {
		switch {
		case id == "":
			p.Addf("admin_id is empty")
		case f.opts.AdminID != "" && id != f.opts.AdminID:
			p.Addf("admin_id %q: want %q", id, f.opts.AdminID)
		}
	}
}

// checkAttributes wants an object of strings, numbers or booleans (the
// custom-object lists Intercom also takes are never sent by the bot).
func checkAttributes(p *platformfake.Problems, key string, raw json.RawMessage) {
	var attrs map[string]any
	if err := json.Unmarshal(raw, &attrs); err != nil || attrs == nil {
		p.Addf("%s: want an object", key)
		return
	}
	if len(attrs) == 0 {
		p.Addf("%s is empty", key)
	}
	for k, v := range attrs {
		switch v.(type) {
		case string, float64, bool:
		default:
			p.Addf("%s.%s: want a string, number or boolean, got %s", key, k, platformfake.ClipRaw(platformfake.MustJSON(v)))
		}
	}
}

func onlyKeys(p *platformfake.Problems, fields map[string]json.RawMessage, allowed []string, what string) {
	for k := range fields {
		if !slices.Contains(allowed, k) {
			p.Addf("unknown field %q for %s", k, what)
		}
	}
}

func boolField(p *platformfake.Problems, fields map[string]json.RawMessage, key string) {
	if raw, ok := fields[key]; ok {
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil || platformfake.IsNull(raw) {
			p.Addf("%s: want a boolean, got %s", key, platformfake.ClipRaw(raw))
		}
	}
}

// intField reads an integer (unix seconds, admin ids); a string is wrong.
func intField(p *platformfake.Problems, fields map[string]json.RawMessage, key string, required bool) (int64, bool) {
	raw, ok := fields[key]
	if !ok {
		if required {
			p.Addf("%s is required", key)
		}
		return 0, false
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil || platformfake.IsNull(raw) {
		p.Addf("%s: want an integer, got %s", key, platformfake.ClipRaw(raw))
		return 0, false
	}
	return n, true
}

// decodeObject reads a body that must be exactly one JSON object.
func decodeObject(p *platformfake.Problems, raw []byte) map[string]json.RawMessage {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		p.Addf("body is not a JSON object")
		return nil
	}
	if _, err := dec.Token(); err != io.EOF {
		p.Addf("body has data after the JSON object")
	}
	return fields
}

func parse(p *platformfake.Problems, raw []byte) map[string]any {
	var parsed map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&parsed); err != nil {
		p.Addf("body: %v", err)
	}
	return parsed
}

// parseVersion reads "2.14" as (2, 14); "Unstable" is not numbered.
func parseVersion(v string) (major, minor int, ok bool) {
	ma, mi, found := strings.Cut(v, ".")
	if !found {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(ma)
	minor, err2 := strconv.Atoi(mi)
	return major, minor, err1 == nil && err2 == nil
}
