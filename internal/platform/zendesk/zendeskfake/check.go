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

// checkBody checks {"ticket": {"comment": {...}}} and returns the comment.
//
// Beyond the API, the fake insists on what the bot must always do:
// "public" is sent (Zendesk's default is public, and a note must never
// become public by omission) and the body is not blank.
func checkBody(ps *problems, raw []byte, agentID string) map[string]any {
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
	onlyKeys(ps, root, "", map[string]bool{"ticket": true})
	ticket, ok := root["ticket"].(map[string]any)
	if !ok {
		ps.addf("ticket must be an object, not %s", payload.TypeName(root["ticket"]))
		return nil
	}
	onlyKeys(ps, ticket, "ticket.", map[string]bool{"comment": true})
	c, ok := ticket["comment"].(map[string]any)
	if !ok {
		ps.addf("ticket.comment must be an object, not %s", payload.TypeName(ticket["comment"]))
		return nil
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
	return c
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
