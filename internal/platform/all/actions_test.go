package all

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/replier"
	"github.com/supportops/autoresponder/internal/rules"
)

// actionYAML writes an action request's values as a rule writes them.
func actionYAML(row platform.ActionCapability, req *replier.Request) string {
	q := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	switch row.Action {
	case platform.ActionTag:
		return "tag: " + q(req.List(replier.FieldTags))
	case platform.ActionAssign:
		return "assign: " + q(req.Fields[replier.FieldAssignee].Map)
	case platform.ActionSet:
		return "set: " + q(req.Fields[replier.FieldSet].Map)
	}
	v := req.Text(row.Action)
	out := row.Action + ": " + q(v)
	if slices.Contains(row.Until, v) {
		out += ", until: 2h"
	}
	return out
}

// genericAction is an action of a kind a platform has no row for.
var genericAction = map[string]string{
	platform.ActionTag:      `tag: ["x"]`,
	platform.ActionAssign:   `assign: {admin: "1"}`,
	platform.ActionPriority: `priority: high`,
	platform.ActionStatus:   `status: closed`,
	platform.ActionSet:      `set: {x: "1"}`,
}

// TestLoaderAcceptsExactlyTheActionTable: for every account variant of
// every platform and every action, `bot check` accepts a rule taking the
// action (with the contract suite's sample values, which the strict fake
// accepts) iff the account's table has a row for it on a target its events
// carry, and every value of priority and status the row lists; otherwise
// it refuses it at the key, naming what the platform can do.
func TestLoaderAcceptsExactlyTheActionTable(t *testing.T) {
	reg := Registry()
	checked := 0
	for p, mk := range everyAccount(t, reg) {
		s := mk()
		spec := s.Platform.Spec() // the table this account variant sees
		source, account := sections(t, p, mk)
		head := fmt.Sprintf("sources:\n  s: %s\nplatforms:\n  s: %s\nrules:\n", source, account)
		load := func(action string) error {
			src := head + "  - name: r\n    when: \"true\"\n    actions:\n      - {" + action + "}\n"
			_, err := rules.Load([]byte(src), "rules.yaml", rules.Options{Platforms: reg})
			return err
		}
		for _, name := range platform.ActionNames {
			var rows []platform.ActionCapability
			for _, target := range p.Spec().Targets {
				if row, ok := spec.ActionRow(name, target); ok {
					rows = append(rows, row)
				}
			}
			if len(rows) == 0 {
				err := load(genericAction[name])
				if err == nil {
					t.Errorf("%s: the loader accepts %s, which the table lacks", spec.Name, name)
				} else if !strings.Contains(err.Error(), "has no "+name+" action") && !strings.Contains(err.Error(), "no actions") && !strings.Contains(err.Error(), "api: whmcs") {
					t.Errorf("%s: %s refused without saying what the platform can do:\n%v", spec.Name, name, err)
				}
				checked++
				continue
			}
			for _, row := range rows {
				values := []string{""}
				if len(row.Values) > 0 {
					values = row.Values
				}
				for _, v := range values {
					suite := s
					req := platformtest.ActionRequest(&suite, row)
					if v != "" {
						req.Set(row.Action, replier.Value{Text: v})
					}
					action := actionYAML(row, req)
					if err := load(action); err != nil {
						t.Errorf("%s: %s on a %s (%s) is in the table, the loader refuses it:\n%v", spec.Name, name, row.Target, action, err)
					}
					checked++
				}
			}
		}
	}
	t.Logf("%d action cases checked", checked)
}
