package replier

// Value is the rendered value of one platform-specific reply field (see
// platform.Field): exactly one of its members is set, by the field's type.
// It is stored with the job, so it must round-trip through JSON unchanged.
type Value struct {
	Text string            `json:"text,omitempty"`
	Bool bool              `json:"bool,omitempty"`
	List []string          `json:"list,omitempty"`
	Map  map[string]string `json:"map,omitempty"` // FieldTextMap and FieldObject
}

// Text returns a text field, "" when unset.
func (r *Request) Text(key string) string { return r.Fields[key].Text }

// Flag returns a boolean field, false when unset.
func (r *Request) Flag(key string) bool { return r.Fields[key].Bool }

// List returns a list field, nil when unset.
func (r *Request) List(key string) []string { return r.Fields[key].List }

// Map returns a map or object field, nil when unset.
func (r *Request) Map(key string) map[string]string { return r.Fields[key].Map }

// Set stores a field's value, creating the map.
func (r *Request) Set(key string, v Value) {
	if r.Fields == nil {
		r.Fields = map[string]Value{}
	}
	r.Fields[key] = v
}

// Plain is the value as a rule wrote it: a string, a boolean, a list or
// an object (for printing).
func (v Value) Plain() any {
	switch {
	case v.Map != nil:
		return v.Map
	case v.List != nil:
		return v.List
	case v.Text != "":
		return v.Text
	}
	return v.Bool
}
