package platform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/supportops/autoresponder/internal/replier"
)

// Row returns the capability row of a reply kind and target type.
func (s *Spec) Row(as, target string) (Capability, bool) {
	for _, c := range s.Capabilities {
		if c.As == as && c.Target == target {
			return c, true
		}
	}
	return Capability{}, false
}

// Supports reports whether a row posts as to target: what a replier's
// Supports answers, so that the loader and the replier read one table.
func (s *Spec) Supports(as, target string) bool {
	_, ok := s.Row(as, target)
	return ok
}

// CheckRequest refuses a request that its capability row does not allow:
// no row, a field the row does not take, a required field missing, or
// attachments where the row takes none. internal names fields a platform
// stores for itself (set by Prepare), which no row lists. A replier calls
// it before building its body, so that it refuses exactly what the loader
// refuses.
func (s *Spec) CheckRequest(req *replier.Request, internal ...string) error {
	row, ok := s.Row(req.As, req.Target.Type)
	if !ok {
		return fmt.Errorf("%s cannot post %q to a %q", s.Name, req.As, req.Target.Type)
	}
	var extra []string
	for k := range req.Fields {
		if !slices.Contains(row.Fields, k) && !slices.Contains(internal, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return fmt.Errorf("%s takes no %s on a %s to a %s", s.Name, strings.Join(extra, ", "), req.As, req.Target.Type)
	}
	for _, k := range row.Requires {
		if _, ok := req.Fields[k]; !ok {
			return fmt.Errorf("%s needs %s", req.As, k)
		}
	}
	if len(req.Attachments) > 0 && !row.Attachments {
		return fmt.Errorf("%s takes no attachments on a %s to a %s", s.Name, req.As, req.Target.Type)
	}
	return nil
}
