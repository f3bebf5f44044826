package whmcs

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
)

// stockParam is one form field; a slice of them keeps the order fixed.
type stockParam struct{ key, value string }

// stockForm picks the action for req and builds its parameters (without
// the credentials). Everything the External API cannot do is refused here,
// before anything is sent.
func stockForm(req *replier.Request, adminUsername string) (string, []stockParam, error) {
	if req.Target.Type != event.TargetTicket {
		return "", nil, fmt.Errorf("target type %q: WHMCS replies go to tickets", req.Target.Type)
	}
	if !isDigits(req.Target.ID) {
		return "", nil, fmt.Errorf("ticket id %q is not a number (use the ticket's database id, not its mask)", req.Target.ID)
	}
	var action string
	switch req.As {
	case platform.AsComment:
		action = stockActionReply
	case platform.AsNote:
		action = stockActionNote
	default:
		return "", nil, fmt.Errorf("reply kind %q: the WHMCS External API takes comment or note", req.As)
	}
	if err := stockRejectFields(req); err != nil {
		return "", nil, err
	}
	if strings.TrimSpace(req.Body) == "" {
		return "", nil, errors.New("a reply needs a message body (WHMCS: Message is required)")
	}

	params := []stockParam{{"ticketid", req.Target.ID}, {"message", req.Body}}
	add := func(key, value string) {
		if value != "" {
			params = append(params, stockParam{key, value})
		}
	}
	add("markdown", whmcsBool(req.Flag(FieldMarkdown)))
	if action == stockActionReply {
		from, err := stockFrom(req.Fields, adminUsername)
		if err != nil {
			return "", nil, err
		}
		params = append(params, from...)
		if v, ok := req.Fields[FieldStatus]; ok && v.Text != "" {
			if strings.TrimSpace(v.Text) == "" {
				return "", nil, errors.New("status is blank")
			}
			add("status", v.Text)
		}
		add("noemail", whmcsBool(req.Flag(FieldNoEmail)))
		if m := req.Map(FieldCustomFields); len(m) > 0 {
			for k := range m {
				if !stockIsCustomFieldID(k) {
					return "", nil, fmt.Errorf("custom_fields key %q is not a custom field id (a whole number, as in Setup > Support > Custom Fields)", k)
				}
			}
			add("customfields", base64.StdEncoding.EncodeToString([]byte(stockPHPSerialize(m))))
		}
	}
	if len(req.Attachments) > 0 {
		enc, err := whmcsAttachments(req.Attachments)
		if err != nil {
			return "", nil, err
		}
		add("attachments", enc)
	}
	return action, params, nil
}

// stockRejectFields refuses reply fields the action has no place for, so
// nothing a rule asked for is silently dropped.
func stockRejectFields(req *replier.Request) error {
	var allowed []string
	for _, c := range stockCapabilities {
		if c.As == req.As {
			allowed = c.Fields
		}
	}
	var unknown []string
	for _, k := range slices.Sorted(maps.Keys(req.Fields)) {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	if req.As == platform.AsNote {
		return fmt.Errorf("a note takes no %s (the External API's AddTicketNote has only message, markdown and attachments)", strings.Join(unknown, ", "))
	}
	return fmt.Errorf("the WHMCS External API has no %s", strings.Join(unknown, ", "))
}

// stockFrom attributes a comment (see stockSender): a rule without from
// posts as the account's admin_username. A from whose every value
// rendered empty is refused rather than posted under another identity.
func stockFrom(fields map[string]replier.Value, adminUsername string) ([]stockParam, error) {
	raw, given := fields[FieldFrom]
	if !given {
		return []stockParam{{"adminusername", adminUsername}}, nil
	}
	for _, k := range slices.Sorted(maps.Keys(raw.Map)) {
		if !slices.Contains(fromKeys, k) {
			return nil, fmt.Errorf("from.%s: unknown key (from takes %s)", k, strings.Join(fromKeys, ", "))
		}
	}
	params, err := stockSender(raw.Map)
	if err != nil {
		return nil, err
	}
	return params, nil
}

// stockEncode writes the form: action, credentials, responsetype, then
// the action's parameters, in that order (a stable body for logs and
// tests).
func stockEncode(action string, auth, params []stockParam) []byte {
	all := make([]stockParam, 0, 2+len(auth)+len(params))
	all = append(all, stockParam{"action", action})
	all = append(all, auth...)
	all = append(all, stockParam{"responsetype", "json"})
	all = append(all, params...)
	var b strings.Builder
	for i, p := range all {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(stockFormEscape(p.key))
		b.WriteByte('=')
		b.WriteString(stockFormEscape(p.value))
	}
	return []byte(b.String())
}

// stockFormEscape is application/x-www-form-urlencoded escaping.
func stockFormEscape(s string) string { return url.QueryEscape(s) }

// stockIsCustomFieldID accepts a canonical positive integer, the only
// kind of key PHP turns into the integer array key WHMCS looks custom
// fields up by ("07" would stay a string key and match nothing).
func stockIsCustomFieldID(k string) bool {
	n, err := strconv.ParseInt(k, 10, 64)
	return err == nil && n > 0 && strconv.FormatInt(n, 10) == k
}

// stockPHPSerialize writes m as PHP's serialize() writes an array of
// strings with integer keys (every key passed stockIsCustomFieldID),
// sorted by id so the output is stable.
func stockPHPSerialize(m map[string]string) string {
	return phpSerializeInOrder(m, slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		x, _ := strconv.ParseInt(a, 10, 64)
		y, _ := strconv.ParseInt(b, 10, 64)
		return cmp.Compare(x, y)
	}))
}
