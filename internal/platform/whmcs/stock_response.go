package whmcs

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// stockAnswer is the JSON every External API action answers with. The
// reference documents only result (and message on errors); the ids are
// read in case an installation sends them.
type stockAnswer struct {
	Result  string          `json:"result"`
	Message string          `json:"message"`
	ReplyID json.RawMessage `json:"replyid"`
	NoteID  json.RawMessage `json:"noteid"`
	ID      json.RawMessage `json:"id"`
}

// stockHints explain WHMCS's error messages to whoever reads the dead
// letter, matched case-insensitively on the message's start (the docs
// spell "Ticket ID not found" both ways). Every result=error is permanent:
// each documented message is a refusal of this request or this credential,
// and sending it again fails the same way; nothing was posted, so nothing
// is lost by dead-lettering it.
var stockHints = []struct{ prefix, hint string }{
	{"Authentication Failed", "check the identifier and secret of the API credential, and that its admin is active"},
	{"Invalid IP", "allow the bot's address under API IP Access Restriction (General Settings > Security), or configure accesskey"},
	{"Invalid Access Key", "accesskey must equal $api_access_key in WHMCS's configuration.php"},
	{"Invalid Permissions", "allow this action in the credential's API role (Manage API Credentials > API Roles)"},
	{"Ticket ID Not Found", "the ticket was deleted, or the id is not the ticket's database id"},
	{"Invalid Ticket Status", "status must name an existing ticket status (Setup > Support > Ticket Statuses)"},
	{"Client ID Not Found", "from.client_id names no client"},
	{"Contact ID Not Found", "from.contact_id names no contact of that client"},
}

// stockExplain is WHMCS's message with a hint, when there is one.
func stockExplain(message string) string {
	for _, h := range stockHints {
		if len(message) >= len(h.prefix) && strings.EqualFold(message[:len(h.prefix)], h.prefix) {
			return message + " (" + h.hint + ")"
		}
	}
	return message
}

// result reads WHMCS's answer. The body decides before the status: an
// error may come with HTTP 200.
func (r *stockReplier) result(action string, resp *httpapi.Response) (replier.Result, *replier.Error) {
	var ans stockAnswer
	parseErr := json.Unmarshal(resp.Body, &ans)

	if !resp.OK() {
		msg := r.client.BodyMessage(resp)
		if parseErr == nil && ans.Message != "" {
			msg = stockExplain(r.client.PlatformMessage(ans.Message))
		}
		return replier.Result{}, r.client.StatusError(resp, action+": "+msg)
	}
	if resp.ReadErr != nil {
		return replier.Result{}, r.client.InvalidResponse(resp, "%s may have been posted: HTTP %d but %v", action, resp.Status, resp.ReadErr)
	}
	if parseErr != nil {
		return replier.Result{}, r.client.InvalidResponse(resp,
			"%s may have been posted but the answer is not WHMCS JSON (is base_url the WHMCS root, and does the installation honour responsetype=json?): %s",
			action, r.client.Snippet(resp.Body))
	}
	switch ans.Result {
	case "success":
		return replier.Result{ResponseID: stockID(ans.ReplyID, ans.NoteID, ans.ID), Status: resp.Status, RateLimit: resp.RateLimit}, nil
	case "error":
		msg := r.client.PlatformMessage(ans.Message)
		if msg == "" {
			msg = "WHMCS reported an error without a message"
		}
		return replier.Result{}, r.client.Redact(&replier.Error{
			Reason:    replier.ReasonClientError,
			Status:    resp.Status,
			Message:   action + ": " + stockExplain(msg),
			RateLimit: resp.RateLimit,
		})
	default:
		return replier.Result{}, r.client.InvalidResponse(resp, "%s may have been posted but result is %q: %s",
			action, ans.Result, r.client.Snippet(resp.Body))
	}
}

// stockID is the first id present, whether WHMCS wrote it as a string or
// a number; "" when there is none.
func stockID(raws ...json.RawMessage) string {
	for _, raw := range raws {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil && isDigits(s) {
			return s
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil && isDigits(n.String()) {
			return n.String()
		}
	}
	return ""
}
