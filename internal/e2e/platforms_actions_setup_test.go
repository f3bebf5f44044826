package e2e

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/chatwoot/chatwootfake"
	"github.com/supportops/autoresponder/internal/platform/freshdesk/freshdeskfake"
	"github.com/supportops/autoresponder/internal/platform/front/frontfake"
	"github.com/supportops/autoresponder/internal/platform/helpscout/helpscoutfake"
	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/platform/zendesk/zendeskfake"
	"github.com/supportops/autoresponder/internal/replier"
)

// Tags of the actions scenarios: one a teammate put there before (it must
// survive, as tags only add), the one the rule adds, and the one the
// failing rule adds. Chatwoot and Front have these in their accounts.
const (
	existingTag = "vip"
	addedTag    = "refund"
	failTag     = "billing"
)

// More sources of a case whose platform acts: one where a rule replies
// and acts, one where a rule only acts and its first step is refused.
func (u *platformUnderTest) actSource() string  { return u.name + "-act" }
func (u *platformUnderTest) failSource() string { return u.name + "-fail" }

// plannedAction is one action of a rule: its row and how the rules file
// writes it.
type plannedAction struct {
	row  platform.ActionCapability
	yaml string
}

func actionNames(plan []plannedAction) []string {
	out := make([]string, len(plan))
	for i, a := range plan {
		out[i] = a.row.Action
	}
	return out
}

// actionRows are the account's action rows for the example's target type
// (none on the reseller WHMCS API, whose suite's Spec has no actions).
func (u *platformUnderTest) actionRows() []platform.ActionCapability {
	var out []platform.ActionCapability
	for _, r := range u.suite.Platform.Spec().Actions {
		if r.Target == u.example.want.Target.Type {
			out = append(out, r)
		}
	}
	return out
}

// planActions picks up to three actions in a fixed preference (tag, then
// assign and status, then priority and set), filled with values the fake
// accepts (the suite's ActionSample). closing picks the status that ends
// the conversation (resolved, solved, closed, archived); otherwise the
// first status, which reopens it.
func (u *platformUnderTest) planActions(tag string, closing bool) []plannedAction {
	rows := u.actionRows()
	var plan []plannedAction
	for _, name := range []string{platform.ActionTag, platform.ActionAssign, platform.ActionStatus, platform.ActionPriority, platform.ActionSet} {
		i := slices.IndexFunc(rows, func(r platform.ActionCapability) bool { return r.Action == name })
		if i < 0 || len(plan) == 3 {
			continue
		}
		row := rows[i]
		req := platformtest.ActionRequest(&u.suite, row)
		switch name {
		case platform.ActionTag:
			req.Set(replier.FieldTags, replier.Value{List: []string{tag}})
		case platform.ActionStatus:
			req.Set(replier.FieldStatus, replier.Value{Text: statusValue(row, closing)})
		}
		plan = append(plan, plannedAction{row: row, yaml: actionYAML(req)})
	}
	return plan
}

// statusValue is a status that needs no until: a closing one, or the first.
func statusValue(row platform.ActionCapability, closing bool) string {
	if closing {
		for _, v := range []string{"resolved", "solved", "closed", "archived"} {
			if slices.Contains(row.Values, v) && !slices.Contains(row.Until, v) {
				return v
			}
		}
	}
	for _, v := range row.Values {
		if !slices.Contains(row.Until, v) {
			return v
		}
	}
	return row.Values[0]
}

// actionYAML writes an action request as a rules-file list item.
func actionYAML(req *replier.Request) string {
	quoteAll := func(vs []string) string {
		q := make([]string, len(vs))
		for i, v := range vs {
			q[i] = strconv.Quote(v)
		}
		return strings.Join(q, ", ")
	}
	mapping := func(m map[string]string) string {
		var kv []string
		for _, k := range sortedKeys(m) {
			kv = append(kv, strconv.Quote(k)+": "+strconv.Quote(m[k]))
		}
		return "{" + strings.Join(kv, ", ") + "}"
	}
	switch req.Action {
	case platform.ActionTag:
		return "tag: [" + quoteAll(req.List(replier.FieldTags)) + "]"
	case platform.ActionAssign:
		return "assign: " + mapping(req.Map(replier.FieldAssignee))
	case platform.ActionSet:
		return "set: " + mapping(req.Map(replier.FieldSet))
	case platform.ActionPriority:
		return "priority: " + strconv.Quote(req.Text(replier.FieldPriority))
	case platform.ActionStatus:
		return "status: " + strconv.Quote(req.Text(replier.FieldStatus))
	}
	panic("e2e: no YAML for action " + req.Action)
}

// actionsYAML is the actions key of a rule.
func actionsYAML(plan []plannedAction) string {
	var b strings.Builder
	b.WriteString("actions:\n")
	for _, a := range plan {
		b.WriteString("  - " + a.yaml + "\n")
	}
	return b.String()
}

// stepOf names the step a request sent for target belongs to: "reply"
// (it carries the rendered reply), an action, "" for a read or lookup
// that no step is made of alone (GET, Intercom's POST /tags, Help Scout's
// token), or "other". It reads only what every platform's API makes
// plain: the endpoint and the fields sent, so that one table covers all.
func stepOf(r sentRequest, target, rendered string) string {
	if r.Method == http.MethodGet {
		return ""
	}
	if slices.ContainsFunc(texts(r.ContentType, r.Body), func(s string) bool { return strings.Contains(s, rendered) }) {
		return "reply"
	}
	f := requestFields(r)
	if !strings.Contains(r.Path, "/"+target) && f["ticketid"] != target {
		return ""
	}
	has := func(keys ...string) bool {
		return slices.ContainsFunc(keys, func(k string) bool { _, ok := f[k]; return ok })
	}
	ends := func(suffixes ...string) bool {
		return slices.ContainsFunc(suffixes, func(s string) bool { return strings.HasSuffix(r.Path, s) })
	}
	mt := f["message_type"] // Intercom's conversation parts
	switch {
	case ends("/tags", "/labels") || has("tags"):
		return platform.ActionTag
	case ends("/assignee", "/assignments") || mt == "assignment" ||
		has("assignee_id", "responder_id", "group_id", "team_id", "flag", "deptid", "/assignTo"):
		return platform.ActionAssign
	case ends("/toggle_priority") || has("priority"):
		return platform.ActionPriority
	case ends("/toggle_status") || mt == "open" || mt == "close" || mt == "snoozed" || has("status", "open", "snoozed_until", "/status"):
		return platform.ActionStatus
	case ends("/fields", "/custom_attributes") || has("custom_fields", "custom_attributes", "ticket_attributes", "customfields"):
		return platform.ActionSet
	}
	return "other"
}

// requestFields are a request body's field names with their text: a
// form's fields; a JSON object's keys and those of objects in it (Zendesk
// wraps a ticket), and a JSON Patch's paths (Help Scout).
func requestFields(r sentRequest) map[string]string {
	out := map[string]string{}
	mt, _, _ := mime.ParseMediaType(r.ContentType)
	if mt == "application/x-www-form-urlencoded" {
		form, _ := url.ParseQuery(string(r.Body))
		for k := range form {
			out[k] = form.Get(k)
		}
		return out
	}
	var v any
	if json.Unmarshal(r.Body, &v) != nil {
		return out
	}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		switch v := v.(type) {
		case map[string]any:
			if p, ok := v["path"].(string); ok && v["op"] != nil {
				out[p] = fmt.Sprint(v["value"])
			}
			for k, e := range v {
				if _, seen := out[k]; !seen {
					if s, ok := e.(string); ok {
						out[k] = s
					} else {
						out[k] = ""
					}
				}
				if depth < 1 {
					walk(e, depth+1)
				}
			}
		case []any:
			for _, e := range v {
				walk(e, depth)
			}
		}
	}
	walk(v, 0)
	return out
}

// tagState reads and seeds the tags a fake holds for a target; nil for a
// platform without tags.
type tagState struct {
	seed func(id string, tags ...string)
	tags func(id string) []string
}

// tagsOf returns the tag accessors of u's fake.
func (u *platformUnderTest) tagsOf() *tagState {
	typ := u.example.want.Target.Type
	switch f := u.fake.(type) {
	case *chatwootfake.Fake:
		return &tagState{f.SetLabels, func(id string) []string { return f.Conversation(id).Labels }}
	case *freshdeskfake.Server:
		return &tagState{f.SetTags, func(id string) []string { return f.Ticket(id).Tags }}
	case *helpscoutfake.Server:
		return &tagState{f.SetTags, func(id string) []string { return f.Conversation(id).Tags }}
	case *zendeskfake.Fake:
		return &tagState{f.SetTags, func(id string) []string { return f.Ticket(id).Tags }}
	case *frontfake.Fake:
		// Front keeps tag ids; the company's tags name them.
		idOf := func(name string) string {
			i := slices.IndexFunc(frontfake.Tags, func(t frontfake.Tag) bool { return t.Name == name })
			return frontfake.Tags[i].ID
		}
		return &tagState{
			seed: func(id string, tags ...string) {
				var ids []string
				for _, t := range tags {
					ids = append(ids, idOf(t))
				}
				f.SetTags(id, ids...)
			},
			tags: func(id string) []string {
				var names []string
				for _, tid := range f.Conversation(id).TagIDs {
					i := slices.IndexFunc(frontfake.Tags, func(t frontfake.Tag) bool { return t.ID == tid })
					names = append(names, frontfake.Tags[i].Name)
				}
				return names
			},
		}
	case interface {
		SeedTags(typ, id string, names ...string)
		Target(typ, id string) intercomfake.Target
	}:
		return &tagState{
			seed: func(id string, tags ...string) { f.SeedTags(typ, id, tags...) },
			tags: func(id string) []string { return f.Target(typ, id).Tags },
		}
	}
	return nil
}
