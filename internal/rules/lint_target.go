package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/supportops/autoresponder/internal/replier"
)

// targetWarning is a reply without reply.to that some target type of its
// events cannot take.
type targetWarning struct {
	at  path // below the reply
	msg string
}

// eventTargetWarnings checks a reply without reply.to against every target
// type its platform's events carry. The loader accepts such a reply when
// the row of one target type takes it; on a platform whose events carry
// several (conversations and tickets) the rows may differ, and the
// replier refuses the reply on events of the others: each of them would
// dead-letter. The loader cannot tell which targets a rule's condition
// lets through, so this is a warning, and an error with --strict.
func (rs *Ruleset) eventTargetWarnings(r *Rule) []targetWarning {
	if r.Reply == nil || r.Reply.ToID != nil || r.Config == nil {
		return nil
	}
	var out []targetWarning
	seen := map[string]bool{}
	for _, sn := range sortedKeys(rs.Sources) {
		if r.Source != "" && sn != r.Source {
			continue
		}
		p := rs.PlatformFor(r, sn)
		if p == nil || p.Impl == nil || seen[p.Name] {
			continue
		}
		seen[p.Name] = true
		spec := p.Impl.Spec()
		as := r.Reply.As
		for _, target := range spec.Targets {
			lead := fmt.Sprintf("without reply.to the reply goes to the event's own target, which may be a %s, and platform %q (%s) ",
				target, p.Name, spec.Name)
			hint := fmt.Sprintf(`: set reply.to (e.g. {type: %s, id: "{{ target.id }}"}) if the rule only sees those`,
				otherTarget(spec.Targets, target))
			row, ok := spec.Row(as, target)
			if !ok {
				out = append(out, targetWarning{path{"as"}, lead + "cannot post " + as + " there" + hint})
				continue
			}
			for _, f := range r.Reply.Fields {
				if !slices.Contains(row.Fields, f.Key) {
					out = append(out, targetWarning{path{f.Key}, lead + "takes no reply." + f.Key + " on a " + as + " to it" + hint})
				}
			}
			if len(r.Reply.Attachments) > 0 && !row.Attachments {
				out = append(out, targetWarning{path{"attachments"}, lead + "takes no reply.attachments on a " + as + " to it" + hint})
			}
			for _, k := range row.Requires {
				if !slices.ContainsFunc(r.Reply.Fields, func(f *FieldTemplate) bool { return f.Key == k }) {
					out = append(out, targetWarning{nil, lead + "needs reply." + k + " for a " + as + " to it" + hint})
				}
			}
			if r.Config.Reply.Body.Empty() && !row.NoBody {
				out = append(out, targetWarning{nil, lead + "needs reply.body for a " + as + " to it" + hint})
			}
		}
	}
	return out
}

// otherTarget names a target type of targets other than t, for the hint.
func otherTarget(targets []string, t string) string {
	for _, o := range targets {
		if o != t {
			return o
		}
	}
	return t
}

// actionTargetWarnings checks each action against every target type its
// events carry: the loader accepts an action one target type's row takes,
// and on a platform whose events carry several the rows may differ (a
// ticket may take a status value a conversation does not). The
// others would dead-letter, so this is a warning, an error with --strict.
// at is below the rule.
func (rs *Ruleset) actionTargetWarnings(r *Rule) []targetWarning {
	var out []targetWarning
	seen := map[string]bool{}
	for _, sn := range sortedKeys(rs.Sources) {
		if r.Source != "" && sn != r.Source {
			continue
		}
		p := rs.PlatformFor(r, sn)
		if p == nil || p.Impl == nil || seen[p.Name] {
			continue
		}
		seen[p.Name] = true
		spec := p.Impl.Spec()
		for i, a := range r.Actions {
			if a.Action == replier.ActionNotify {
				continue
			}
			at := path{"actions", i, a.Action}
			for _, target := range spec.Targets {
				lead := fmt.Sprintf("the action goes to the event's own target, which may be a %s, and platform %q (%s) ", target, p.Name, spec.Name)
				row, ok := spec.ActionRow(a.Action, target)
				if !ok {
					out = append(out, targetWarning{at, lead + "has no " + a.Action + " action for a " + target + " (add a condition on target.type if the rule only sees the others)"})
					continue
				}
				if v, static := a.Value.static(); static && len(row.Values) > 0 && !slices.Contains(row.Values, v) {
					out = append(out, targetWarning{at, fmt.Sprintf("%shas no %s %q for a %s (it has: %s)", lead, a.Action, v, target, strings.Join(row.Values, ", "))})
				}
			}
		}
	}
	return out
}
