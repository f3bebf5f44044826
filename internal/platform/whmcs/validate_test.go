package whmcs_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
	"github.com/supportops/autoresponder/internal/replier"
)

// written is how a rule may write one member of from: a literal, or a
// template (templated) whose value is known only when it is rendered.
var written = []string{"", "7", "x", templated}

const templated = "{{ t }}"

// rendered are the values a template may render as.
var rendered = []string{"", " ", "7", "x"}

var fromMembers = []string{"admin_username", "client_id", "contact_id", "email", "name"}

// TestValidateReplyAgreesWithTheRepliers is `bot check --strict` never
// accepting a from that the replier refuses, over every way of writing
// the five members: ValidateReply refuses a from exactly when every
// rendering of its templates is refused by the API's form builder (so
// a refusal is never a guess, and an acceptance always has a way to
// post).
func TestValidateReplyAgreesWithTheRepliers(t *testing.T) {
	p := whmcs.New()
	apis := map[string]func(*replier.Request) error{
		whmcs.APIStock: func(req *replier.Request) error {
			_, _, err := whmcs.StockForm(req, "autoresponder")
			return err
		},
		whmcs.APIKeliweb: func(req *replier.Request) error {
			_, _, err := whmcs.KeliwebForm(req)
			return err
		},
	}
	for api, send := range apis {
		t.Run("api: "+api, func(t *testing.T) {
			checked, refused := 0, 0
			// Each member is left out (0) or written one of the ways.
			ways := len(written) + 1
			for combo := range pow(ways, len(fromMembers)) {
				from := map[string]string{}
				for i, k := range fromMembers {
					if w := (combo / pow(ways, i)) % ways; w > 0 {
						from[k] = written[w-1]
					}
				}
				view := replyView(api, from)
				problems := p.ValidateReply(view)
				accepted := anyRenderingSends(from, send)
				if (len(problems) == 0) != accepted {
					t.Errorf("from %v: ValidateReply = %v, but a rendering the replier sends exists: %v", from, problems, accepted)
				}
				for _, pr := range problems {
					if pr.Path[0] != whmcs.FieldFrom || len(pr.Path) > 2 || (len(pr.Path) == 2 && !slices.Contains(view.Keys[whmcs.FieldFrom], pr.Path[1])) {
						t.Errorf("from %v: problem at %v, not at from or one of its written members", from, pr.Path)
					}
				}
				checked++
				if len(problems) > 0 {
					refused++
				}
			}
			if refused == 0 || refused == checked {
				t.Fatalf("%d of %d refused: the table does not tell anything apart", refused, checked)
			}
		})
	}
}

// replyView is the comment as the rules loader describes it: literal
// empty members are left out, templates have no literal value.
func replyView(api string, from map[string]string) *platform.ReplyView {
	keys, literals := []string{}, map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(from)) {
		v := from[k]
		if v == "" {
			continue
		}
		keys = append(keys, k)
		if v != templated {
			literals[k] = v
		}
	}
	return &platform.ReplyView{
		As: platform.AsComment, Fields: map[string]bool{whmcs.FieldFrom: true},
		Keys:     map[string][]string{whmcs.FieldFrom: keys},
		Literals: map[string]map[string]string{whmcs.FieldFrom: literals},
		Account:  &platform.Settings{Values: map[string]string{"api": api}},
	}
}

// anyRenderingSends tries every rendering of from's templates.
func anyRenderingSends(from map[string]string, send func(*replier.Request) error) bool {
	var tmpl []string
	for _, k := range slices.Sorted(maps.Keys(from)) {
		if from[k] == templated {
			tmpl = append(tmpl, k)
		}
	}
	for r := range pow(len(rendered), len(tmpl)) {
		m := maps.Clone(from)
		for i, k := range tmpl {
			m[k] = rendered[(r/pow(len(rendered), i))%len(rendered)]
		}
		req := &replier.Request{As: platform.AsComment, Target: event.Target{Type: event.TargetTicket, ID: "1"}, Body: "hi"}
		req.Set(whmcs.FieldFrom, replier.Value{Map: m})
		if send(req) == nil {
			return true
		}
	}
	return false
}

func pow(b, e int) int {
	n := 1
	for range e {
		n *= b
	}
	return n
}

// TestValidateReplySaysWhichMember: the refusal is positioned at the
// member to change and names the API.
func TestValidateReplySaysWhichMember(t *testing.T) {
	cases := []struct {
		api  string
		from map[string]string
		path string
		want string
	}{
		{whmcs.APIStock, map[string]string{"admin_username": "bot", "client_id": "7"}, "from.admin_username", "cannot be combined"},
		{whmcs.APIStock, map[string]string{"contact_id": "3"}, "from.contact_id", "needs from.client_id"},
		{whmcs.APIStock, map[string]string{"contact_id": "3", "name": templated}, "from.contact_id", "needs from.client_id"},
		{whmcs.APIStock, map[string]string{"name": "Bot"}, "from.name", "needs from.email"},
		{whmcs.APIStock, map[string]string{"name": templated}, "from.name", "needs from.email"},
		{whmcs.APIStock, map[string]string{"email": "bot@example.com"}, "from.email", "needs from.name"},
		{whmcs.APIStock, map[string]string{"client_id": "C-7"}, "from.client_id", `"C-7" is not a number`},
		{whmcs.APIStock, map[string]string{"client_id": "7", "contact_id": "x"}, "from.contact_id", `"x" is not a number`},
		{whmcs.APIStock, map[string]string{"name": " "}, "from", "names nobody"},
		{whmcs.APIStock, map[string]string{}, "from", "names nobody"},
		{whmcs.APIKeliweb, map[string]string{"client_id": "C-7"}, "from.client_id", `"C-7" is not a number; api: keliweb`},
		{"", map[string]string{"contact_id": "x"}, "from.contact_id", `"x" is not a number; api: keliweb`},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %v", c.api, c.from), func(t *testing.T) {
			ps := whmcs.New().ValidateReply(replyView(c.api, c.from))
			if len(ps) != 1 {
				t.Fatalf("problems %v, want one", ps)
			}
			if got := strings.Join(ps[0].Path, "."); got != c.path || !strings.Contains(ps[0].Message, c.want) {
				t.Errorf("problem at %s: %q; want at %s, saying %q", got, ps[0].Message, c.path, c.want)
			}
		})
	}
	// What depends on the event is left to the replier.
	for _, from := range []map[string]string{
		{"admin_username": "bot", "client_id": templated},
		{"client_id": templated},
		{"contact_id": "3", "client_id": templated},
		{"name": "Bot", "email": templated},
	} {
		if ps := whmcs.New().ValidateReply(replyView(whmcs.APIStock, from)); len(ps) > 0 {
			t.Errorf("from %v: %v; a template may render what WHMCS takes", from, ps)
		}
	}
}
