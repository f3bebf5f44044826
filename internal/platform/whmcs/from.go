package whmcs

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
)

// fromError is a reply's from object that an API refuses. Key is the
// member at fault, "" for the object as a whole.
type fromError struct {
	Key string
	Msg string
}

func (e *fromError) Error() string { return e.Msg }

// stockSender picks the attribution parameters of AddTicketReply from a
// from object as rendered. WHMCS needs an admin, a client (with one of its
// contacts, optionally) or a name and an email address; a reply naming
// none of them is refused ("Name and email address are required if not a
// client"). Blank members count as unset.
func stockSender(m map[string]string) ([]stockParam, *fromError) {
	from := map[string]string{}
	for k, v := range m {
		if v = strings.TrimSpace(v); v != "" {
			from[k] = v
		}
	}
	admin, client, contact := from["admin_username"], from["client_id"], from["contact_id"]
	name, email := from["name"], from["email"]
	switch {
	case admin != "":
		if len(from) > 1 {
			return nil, &fromError{"admin_username", "from.admin_username cannot be combined with client_id, contact_id, name or email"}
		}
		return []stockParam{{"adminusername", admin}}, nil
	case client != "":
		if name != "" || email != "" {
			return nil, &fromError{"client_id", "from.name and from.email are for a sender who is neither an admin nor a client; drop them or client_id"}
		}
		if !isDigits(client) {
			return nil, &fromError{"client_id", fmt.Sprintf("from.client_id %q is not a number", client)}
		}
		out := []stockParam{{"clientid", client}}
		if contact != "" {
			if !isDigits(contact) {
				return nil, &fromError{"contact_id", fmt.Sprintf("from.contact_id %q is not a number", contact)}
			}
			out = append(out, stockParam{"contactid", contact})
		}
		return out, nil
	case contact != "":
		return nil, &fromError{"contact_id", "from.contact_id needs from.client_id: a WHMCS contact belongs to a client"}
	case name != "" && email != "":
		return []stockParam{{"name", name}, {"email", email}}, nil
	case name != "":
		return nil, &fromError{"name", "from.name needs from.email for a sender who is neither an admin nor a client (WHMCS: Name and email address are required if not a client)"}
	case email != "":
		return nil, &fromError{"email", "from.email needs from.name for a sender who is neither an admin nor a client (WHMCS: Name and email address are required if not a client)"}
	default:
		return nil, &fromError{"", "from names nobody: every value is empty"}
	}
}

// keliwebSender checks a from object as rendered for the reseller API,
// which forwards every member as it is: only the ids must be numbers.
func keliwebSender(m map[string]string) *fromError {
	for _, k := range []string{"client_id", "contact_id"} {
		if v := m[k]; v != "" && !isDigits(v) {
			return &fromError{k, fmt.Sprintf("from.%s %q is not a number", k, v)}
		}
	}
	return nil
}

// fromProblems refuses at load time a from object that the account's API
// refuses on every send. Members written as literals are what the replier
// gets. A templated member is known only once rendered: it is tried both
// rendered empty and rendered as a value every member takes ("1"), and
// the object is refused only when every combination is. Whatever depends
// on the event (a template rendering empty, or a client id that is not a
// number) stays a dead letter at send time, with the replier's message.
func fromProblems(r *platform.ReplyView) []platform.Problem {
	if !r.Fields[FieldFrom] {
		return nil
	}
	api := r.Account.Get(settingAPI)
	check := func(m map[string]string) *fromError { return keliwebSender(m) }
	if api == APIStock {
		check = func(m map[string]string) *fromError { _, err := stockSender(m); return err }
	}
	literals := r.Literals[FieldFrom]
	var templated []string
	for _, k := range r.Keys[FieldFrom] {
		if _, ok := literals[k]; !ok && slices.Contains(fromKeys, k) {
			templated = append(templated, k)
		}
	}
	var last *fromError
	for set := range 1 << len(templated) {
		m := maps.Clone(literals)
		if m == nil {
			m = map[string]string{}
		}
		for i, k := range templated {
			if set&(1<<i) != 0 {
				m[k] = "1"
			}
		}
		if last = check(m); last == nil {
			return nil
		}
	}
	// The last combination renders every template: its refusal names what
	// the literals get wrong, not a template that happened to be empty.
	path := []string{FieldFrom}
	if last.Key != "" {
		path = append(path, last.Key)
	}
	if api == "" {
		api = APIKeliweb
	}
	return []platform.Problem{{Path: path, Message: last.Msg + "; api: " + api + " refuses it on every send"}}
}
