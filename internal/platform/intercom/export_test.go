package intercom

// BaseOf is the base URL a replier posts under, for the external tests.
func BaseOf(r *Replier) string { return r.base.String() }
