package platform

import (
	"fmt"
	"slices"
)

// Registry lists the platforms the bot knows, by Spec().Name. It is built
// once in main (internal/platform/all) and passed down; it is never
// mutated afterwards, so it is safe for concurrent use.
type Registry struct {
	byName map[string]Platform
	names  []string
}

// NewRegistry builds a registry. It panics on a duplicate or empty name:
// that is a programming error in the registry list, caught by any test.
func NewRegistry(ps ...Platform) *Registry {
	r := &Registry{byName: make(map[string]Platform, len(ps))}
	for _, p := range ps {
		name := p.Spec().Name
		if name == "" {
			panic("platform: a platform has an empty Spec().Name")
		}
		if _, dup := r.byName[name]; dup {
			panic(fmt.Sprintf("platform: %q registered twice", name))
		}
		r.byName[name] = p
		r.names = append(r.names, name)
	}
	slices.Sort(r.names)
	return r
}

// Lookup returns the platform of a kind.
func (r *Registry) Lookup(kind string) (Platform, bool) {
	p, ok := r.byName[kind]
	return p, ok
}

// Names lists the kinds, sorted.
func (r *Registry) Names() []string { return slices.Clone(r.names) }

// All lists the platforms in Names order.
func (r *Registry) All() []Platform {
	out := make([]Platform, len(r.names))
	for i, n := range r.names {
		out[i] = r.byName[n]
	}
	return out
}
