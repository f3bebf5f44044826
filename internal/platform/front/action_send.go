package front

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// maxTagPages bounds how many pages of GET /tags one tag action reads.
const maxTagPages = 50

// act performs one action: CheckAction first (a refusal is never
// retried), then the documented calls.
func (r *Replier) act(ctx context.Context, req *replier.Request) (replier.Result, error) {
	if err := spec.CheckAction(req); err != nil {
		return replier.Result{}, r.client.InvalidRequest("%v", err)
	}
	row, _ := spec.ActionRow(req.Action, req.Target.Type) // CheckAction found it
	if err := httpapi.CheckPathID(req.Target.ID); err != nil {
		return replier.Result{}, r.client.InvalidRequest("%v", err)
	}
	a := &actionCall{r: r, conv: req.Target.ID, row: row}
	var e *replier.Error
	switch req.Action {
	case platform.ActionTag:
		e = a.addTags(ctx, req.Fields[replier.FieldTags].List)
	case platform.ActionAssign:
		who := strings.TrimSpace(req.Fields[replier.FieldAssignee].Map[assignTeammate])
		if p := checkTeammate(who); p != "" {
			return replier.Result{}, r.client.InvalidRequest("assign.teammate %s", p)
		}
		e = a.do(ctx, http.MethodPut, a.convURL("assignee"), map[string]any{"assignee_id": who}, nil)
	case platform.ActionStatus:
		e = a.do(ctx, http.MethodPatch, a.convURL(""), map[string]any{"status": req.Fields[replier.FieldStatus].Text}, nil)
	case platform.ActionSet:
		e = a.setFields(ctx, req.Fields[replier.FieldSet].Map)
	}
	if e != nil {
		return replier.Result{}, e
	}
	res := replier.Result{}
	if a.last != nil {
		res.Status, res.RateLimit = a.last.Status, a.last.RateLimit
	}
	return res, nil
}

// actionCall is one action on one conversation.
type actionCall struct {
	r    *Replier
	conv string
	row  platform.ActionCapability
	last *httpapi.Response
}

// convURL is /conversations/{id}[/sub] ("" when it cannot be built; do
// refuses it).
func (a *actionCall) convURL(sub string) string {
	segments := []string{"conversations", a.conv}
	if sub != "" {
		segments = append(segments, sub)
	}
	u, err := httpapi.EndpointURL(a.r.base, segments...)
	if err != nil {
		return ""
	}
	return u
}

// do sends one call with v as its JSON body (nil: none) and decodes a JSON
// answer into out (nil: not read). A 403 names the scope the action needs
// next to Front's words.
func (a *actionCall) do(ctx context.Context, method, endpoint string, v, out any) *replier.Error {
	if endpoint == "" {
		return a.r.client.InvalidRequest("conversation id %q does not make a Front URL", a.conv)
	}
	hr := httpapi.Request{Method: method, URL: endpoint, Header: http.Header{"Authorization": {a.r.auth}}}
	if v != nil {
		data, err := httpapi.EncodeJSON(v)
		if err != nil {
			return a.r.client.InvalidRequest("encoding the %s request: %v", a.row.Action, err)
		}
		hr.ContentType, hr.Body = "application/json", data
	}
	resp, e := a.r.client.Do(ctx, hr)
	if e != nil {
		return e
	}
	a.last = resp
	if !resp.OK() {
		e := a.r.client.StatusError(resp, errorMessage(a.r.client, resp))
		if resp.Status == http.StatusForbidden {
			e.Message = fmt.Sprintf("%s needs %s; Front said: %s", a.row.Action, a.row.Scope, e.Message)
		}
		return e
	}
	if resp.ReadErr != nil {
		return a.r.client.InvalidResponse(resp, "HTTP %d but %v", resp.Status, resp.ReadErr)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return a.r.client.InvalidResponse(resp, "%s answered a body that is not what the API documents: %s", method, a.r.client.Snippet(resp.Body))
		}
	}
	return nil
}

// tagPage is one page of GET /tags.
type tagPage struct {
	Pagination struct {
		Next *string `json:"next"`
	} `json:"_pagination"`
	Results []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"_results"`
}

// addTags finds the ids of the named tags and adds them: POST .../tags
// adds to what the conversation has, so nothing is read first.
func (a *actionCall) addTags(ctx context.Context, names []string) *replier.Error {
	ids, e := a.tagIDs(ctx, names)
	if e != nil {
		return e
	}
	return a.do(ctx, http.MethodPost, a.convURL("tags"), map[string]any{"tag_ids": ids}, nil)
}

// tagIDs reads the company's tags, page by page, until every name has an
// id. Names match exactly, then regardless of case.
func (a *actionCall) tagIDs(ctx context.Context, names []string) ([]string, *replier.Error) {
	next, err := httpapi.EndpointURL(a.r.base, "tags")
	if err != nil {
		return nil, a.r.client.InvalidRequest("%v", err)
	}
	found := map[string]string{}
	for page := 0; next != "" && len(found) < len(names); page++ {
		if page == maxTagPages {
			break
		}
		var p tagPage
		if e := a.do(ctx, http.MethodGet, next, nil, &p); e != nil {
			return nil, e
		}
		for _, t := range p.Results {
			for _, n := range names {
				if _, ok := found[n]; !ok && (t.Name == n || strings.EqualFold(t.Name, n)) {
					found[n] = t.ID
				}
			}
		}
		next = ""
		if p.Pagination.Next != nil {
			if next, err = a.sameHost(*p.Pagination.Next); err != nil {
				return nil, a.r.client.InvalidResponse(a.last, "%v", err)
			}
		}
	}
	var ids, missing []string
	for _, n := range names {
		id, ok := found[n]
		switch {
		case !ok:
			missing = append(missing, n)
		case !slices.Contains(ids, id):
			ids = append(ids, id)
		}
	}
	if len(missing) > 0 {
		return nil, &replier.Error{Reason: replier.ReasonClientError,
			Message: fmt.Sprintf("Front has no tag named %q: create it in Front (Settings > Tags) first", missing)}
	}
	return ids, nil
}

// sameHost accepts a pagination link only on the configured API host: the
// token goes with it.
func (a *actionCall) sameHost(link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != a.r.base.Scheme || u.Host != a.r.base.Host || u.User != nil {
		return "", fmt.Errorf("GET /tags answered a next page link off the API host: %.100q", link)
	}
	return u.String(), nil
}

// setFields writes every custom field the conversation has, with set
// merged in: a PATCH erases the fields it leaves out.
func (a *actionCall) setFields(ctx context.Context, set map[string]string) *replier.Error {
	var conv struct {
		CustomFields map[string]json.RawMessage `json:"custom_fields"`
	}
	if e := a.do(ctx, http.MethodGet, a.convURL(""), nil, &conv); e != nil {
		return e
	}
	merged := make(map[string]any, len(conv.CustomFields)+len(set))
	for k, v := range conv.CustomFields {
		merged[k] = v
	}
	for k, v := range set {
		merged[k] = v
	}
	return a.do(ctx, http.MethodPatch, a.convURL(""), map[string]any{"custom_fields": merged}, nil)
}
