package zendeskfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/supportops/autoresponder/internal/platform/payload"
)

// problems collects everything wrong with one request.
type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p problems) String() string { return strings.Join(p, "; ") }

// commentKeys are the keys of ticket.comment the API documents for a
// comment added by a ticket update; the bot sends no others.
var commentKeys = map[string]bool{"body": true, "html_body": true, "public": true, "author_id": true}

// ticketKeys are the keys of a ticket update the bot may send: a comment,
// and the fields its actions change. ticket.tags is documented too but
// replaces every tag, which the bot must never do (tagsKey says so).
var ticketKeys = map[string]bool{
	"comment": true, "assignee_id": true, "group_id": true,
	"priority": true, "status": true, "custom_fields": true,
}

// The REST API's enums.
var (
	priorities = map[string]bool{"low": true, "normal": true, "high": true, "urgent": true}
	statuses   = map[string]bool{"new": true, "open": true, "pending": true, "hold": true, "solved": true, "closed": true}
)

// decodeRoot reads a request body: one JSON object, numbers kept exact.
func decodeRoot(ps *problems, raw []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		ps.addf("body is not a JSON object: %v", err)
		return nil
	}
	if _, err := dec.Token(); err != io.EOF {
		ps.addf("data after the JSON object")
	}
	return root
}

// checkBody checks {"ticket": {...}} of PUT /api/v2/tickets/{id}.json and
// returns the ticket object.
func checkBody(ps *problems, raw []byte, agentID string) map[string]any {
	root := decodeRoot(ps, raw)
	if root == nil {
		return nil
	}
	onlyKeys(ps, root, "", map[string]bool{"ticket": true})
	ticket, ok := root["ticket"].(map[string]any)
	if !ok {
		ps.addf("ticket must be an object, not %s", payload.TypeName(root["ticket"]))
		return nil
	}
	if _, ok := ticket["tags"]; ok {
		ps.addf("ticket.tags replaces every tag of the ticket: add tags with PUT /api/v2/tickets/{id}/tags")
		delete(ticket, "tags")
	}
	onlyKeys(ps, ticket, "ticket.", ticketKeys)
	if len(ticket) == 0 {
		ps.addf("ticket is empty: the update changes nothing")
	}
	if c, ok := ticket["comment"]; ok {
		checkComment(ps, c, agentID)
	}
	for _, k := range []string{"assignee_id", "group_id"} {
		if v, ok := ticket[k]; ok && !isID(v) {
			ps.addf("ticket.%s must be a positive integer, not %s", k, describe(v))
		}
	}
	checkEnum(ps, ticket, "priority", priorities)
	checkEnum(ps, ticket, "status", statuses)
	if v, ok := ticket["custom_fields"]; ok {
		checkCustomFields(ps, v)
	}
	return ticket
}

// checkComment checks ticket.comment.
//
// Beyond the API, the fake insists on what the bot must always do:
// "public" is sent (Zendesk's default is public, and a note must never
// become public by omission) and the body is not blank.
func checkComment(ps *problems, v any, agentID string) {
	c, ok := v.(map[string]any)
	if !ok {
		ps.addf("ticket.comment must be an object, not %s", payload.TypeName(v))
		return
	}
	onlyKeys(ps, c, "ticket.comment.", commentKeys)

	_, hasBody := c["body"]
	_, hasHTML := c["html_body"]
	switch {
	case hasBody && hasHTML:
		ps.addf("ticket.comment has both body and html_body")
	case !hasBody && !hasHTML:
		ps.addf("ticket.comment needs body or html_body")
	}
	for _, k := range []string{"body", "html_body"} {
		if v, ok := c[k]; ok {
			if s, ok := v.(string); !ok {
				ps.addf("ticket.comment.%s must be a string, not %s", k, payload.TypeName(v))
			} else if strings.TrimSpace(s) == "" {
				ps.addf("ticket.comment.%s is blank", k)
			}
		}
	}
	if v, ok := c["public"]; !ok {
		ps.addf("ticket.comment.public missing")
	} else if _, ok := v.(bool); !ok {
		ps.addf("ticket.comment.public must be a boolean, not %s", payload.TypeName(v))
	}
	if v, ok := c["author_id"]; ok {
		n, isNum := v.(json.Number)
		switch {
		case !isNum:
			ps.addf("ticket.comment.author_id must be an integer, not %s", payload.TypeName(v))
		case n.String() != agentID:
			ps.addf("ticket.comment.author_id %s is not the bot's agent %s", n, agentID)
		}
	}
}

func checkEnum(ps *problems, ticket map[string]any, key string, allowed map[string]bool) {
	v, ok := ticket[key]
	if !ok {
		return
	}
	s, isStr := v.(string)
	if !isStr || !allowed[s] {
		ps.addf("ticket.%s %s is not one of %s", key, describe(v), strings.Join(sortedKeys(allowed), ", "))
	}
}

// checkCustomFields checks [{"id": <field id>, "value": <v>}, ...]. A
// value is text, a number, a boolean (checkbox), null (clear) or a list of
// option tags (multi-select).
func checkCustomFields(ps *problems, v any) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		ps.addf("ticket.custom_fields must be a non-empty array, not %s", describe(v))
		return
	}
	for i, it := range list {
		at := fmt.Sprintf("ticket.custom_fields[%d]", i)
		f, ok := it.(map[string]any)
		if !ok {
			ps.addf("%s must be an object, not %s", at, payload.TypeName(it))
			continue
		}
		onlyKeys(ps, f, at+".", map[string]bool{"id": true, "value": true})
		if !isID(f["id"]) {
			ps.addf("%s.id must be a positive integer (the field's id), not %s", at, describe(f["id"]))
		}
		val, has := f["value"]
		if !has {
			ps.addf("%s.value missing", at)
			continue
		}
		switch val := val.(type) {
		case string, json.Number, bool, nil:
		case []any:
			for _, o := range val {
				if _, ok := o.(string); !ok {
					ps.addf("%s.value: a multi-select takes option tags (strings), not %s", at, payload.TypeName(o))
				}
			}
		default:
			ps.addf("%s.value must be a string, number, boolean, null or array, not %s", at, payload.TypeName(val))
		}
	}
}

// checkTags checks the body of PUT /api/v2/tickets/{id}/tags (Add Tags):
// {"tags": [...]}, with the optional collision guard safe_update and
// updated_stamp. It returns the tags.
func checkTags(ps *problems, raw []byte) []string {
	root := decodeRoot(ps, raw)
	if root == nil {
		return nil
	}
	onlyKeys(ps, root, "", map[string]bool{"tags": true, "safe_update": true, "updated_stamp": true})
	if v, ok := root["safe_update"]; ok {
		if _, ok := v.(bool); !ok {
			ps.addf("safe_update must be a boolean, not %s", payload.TypeName(v))
		}
	}
	if v, ok := root["updated_stamp"]; ok {
		if _, ok := v.(string); !ok {
			ps.addf("updated_stamp must be a string, not %s", payload.TypeName(v))
		}
	}
	list, ok := root["tags"].([]any)
	if !ok || len(list) == 0 {
		ps.addf("tags must be a non-empty array, not %s", describe(root["tags"]))
		return nil
	}
	var tags []string
	for i, it := range list {
		s, ok := it.(string)
		switch {
		case !ok:
			ps.addf("tags[%d] must be a string, not %s", i, payload.TypeName(it))
		case strings.TrimSpace(s) == "":
			ps.addf("tags[%d] is blank", i)
		case strings.ContainsAny(s, " \t\r\n"):
			ps.addf("tags[%d] %q contains whitespace: Zendesk would split it", i, s)
		default:
			tags = append(tags, s)
		}
	}
	return tags
}

// isID reports whether v is a JSON integer above zero.
func isID(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	i, err := n.Int64()
	return err == nil && i > 0
}

// describe names a value for a problem: its JSON type, and the value
// itself when it is short.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case json.Number:
		return v.String()
	}
	return payload.TypeName(v)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func onlyKeys(ps *problems, m map[string]any, prefix string, allowed map[string]bool) {
	var unknown []string
	for k := range m {
		if !allowed[k] {
			unknown = append(unknown, prefix+k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		ps.addf("unknown key %s", k)
	}
}
