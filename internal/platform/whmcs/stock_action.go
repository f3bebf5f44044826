package whmcs

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// sendAction performs one action request with one UpdateTicket call. A
// request the action table refuses is never sent.
func (r *stockReplier) sendAction(ctx context.Context, req *replier.Request) (replier.Result, error) {
	row, params, err := stockUpdateForm(r.spec, req)
	if err != nil {
		return replier.Result{}, r.client.InvalidRequest("%s on ticket %s: %v", req.Action, req.Target.ID, err)
	}
	resp, e := r.client.Do(ctx, httpapi.Request{
		URL:         r.endpoint,
		ContentType: "application/x-www-form-urlencoded",
		Body:        stockEncode(stockActionUpdate, r.auth, params),
	})
	if e != nil {
		return replier.Result{}, e
	}
	res, e := r.result(stockActionUpdate, resp)
	if e != nil {
		return replier.Result{}, stockNeedsScope(e, row)
	}
	return res, nil
}

// stockUpdateForm checks an action request against the table and builds
// UpdateTicket's parameters (without the credentials), mapping the rules
// file's words to WHMCS's own.
func stockUpdateForm(spec *platform.Spec, req *replier.Request) (platform.ActionCapability, []stockParam, error) {
	if err := spec.CheckAction(req); err != nil {
		return platform.ActionCapability{}, nil, err
	}
	row, _ := spec.ActionRow(req.Action, req.Target.Type)
	if !isDigits(req.Target.ID) {
		return row, nil, fmt.Errorf("ticket id %q is not a number (use the ticket's database id, not its mask)", req.Target.ID)
	}
	params := []stockParam{{"ticketid", req.Target.ID}}
	switch req.Action {
	case platform.ActionAssign:
		who := req.Fields[replier.FieldAssignee].Map
		// A fixed order keeps the body stable for logs and tests.
		for _, k := range []struct{ kind, param string }{{AssignAdmin, "flag"}, {AssignDepartment, "deptid"}} {
			v, ok := who[k.kind]
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			if !stockIsID(v) {
				return row, nil, fmt.Errorf("assign.%s %q is not a WHMCS %s id (a whole number)", k.kind, v, k.kind)
			}
			params = append(params, stockParam{k.param, v})
		}
	case platform.ActionPriority:
		params = append(params, stockParam{"priority", whmcsWord(stockPriorityWords, req.Fields[replier.FieldPriority].Text)})
	case platform.ActionStatus:
		params = append(params, stockParam{"status", whmcsWord(stockStatusWords, req.Fields[replier.FieldStatus].Text)})
	case platform.ActionSet:
		set := req.Fields[replier.FieldSet].Map
		for k := range set {
			if !stockIsCustomFieldID(k) {
				return row, nil, fmt.Errorf("set key %q is not a custom field id (a whole number, as in Setup > Support > Custom Fields)", k)
			}
		}
		params = append(params, stockParam{"customfields", base64.StdEncoding.EncodeToString([]byte(stockPHPSerialize(set)))})
	}
	return row, params, nil
}

// stockIsID accepts a WHMCS record id: a canonical positive integer (0
// is no admin or department, and "07" is not what WHMCS stores).
func stockIsID(s string) bool { return stockIsCustomFieldID(s) }

// stockNeedsScope names what the credential lacks when WHMCS refuses an
// action for permissions: HTTP 403, or its "Invalid Permissions" answer
// (which comes with HTTP 200).
func stockNeedsScope(e *replier.Error, row platform.ActionCapability) *replier.Error {
	said := strings.TrimPrefix(e.Message, stockActionUpdate+": ")
	const denied = "Invalid Permissions"
	if e.Status == http.StatusForbidden || (len(said) >= len(denied) && strings.EqualFold(said[:len(denied)], denied)) {
		e.Message = fmt.Sprintf("%s (%s needs %s)", e.Message, row.Action, row.Scope)
	}
	return e
}
