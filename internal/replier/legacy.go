package replier

import (
	"encoding/json"
	"fmt"
)

// UnmarshalJSON decodes a stored request. A request without "v" was
// written before the format had a version: its platform-specific fields
// sit at the top level, and are moved into Fields so that the job delivers
// exactly as it would have (the same quick-reply uuids included).
func (r *Request) UnmarshalJSON(b []byte) error {
	type plain Request // without this method
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = Request(p)
	if r.V >= RequestVersion {
		return nil
	}
	var old legacyFields
	if err := json.Unmarshal(b, &old); err != nil {
		return fmt.Errorf("request of the unversioned format: %w", err)
	}
	old.into(r)
	r.V = RequestVersion
	return nil
}

// legacyFields are the top-level fields of the unversioned format, by the
// reply keys they came from.
type legacyFields struct {
	Options []struct {
		Text string `json:"text"`
		UUID string `json:"uuid"`
	} `json:"options"`
	AttachmentURLs    []string          `json:"attachment_urls"`
	SkipNotifications bool              `json:"skip_notifications"`
	CrossPost         bool              `json:"cross_post"`
	Contact           map[string]string `json:"contact"`
	Markdown          bool              `json:"markdown"`
	From              map[string]string `json:"from"`
	CustomFields      map[string]string `json:"custom_fields"`
	Status            string            `json:"status"`
	NoEmail           bool              `json:"no_email"`
}

// Keys the unversioned format's fields move to. option_uuids holds the
// buttons' uuids next to their texts, where the platform's Prepare puts
// them.
const legacyOptionUUIDs = "option_uuids"

func (o *legacyFields) into(r *Request) {
	if len(o.Options) > 0 {
		texts := make([]string, len(o.Options))
		ids := make([]string, len(o.Options))
		for i, opt := range o.Options {
			texts[i], ids[i] = opt.Text, opt.UUID
		}
		r.Set("options", Value{List: texts})
		r.Set(legacyOptionUUIDs, Value{List: ids})
	}
	if len(o.AttachmentURLs) > 0 {
		r.Set("attachment_urls", Value{List: o.AttachmentURLs})
	}
	for key, on := range map[string]bool{
		"skip_notifications": o.SkipNotifications, "cross_post": o.CrossPost,
		"markdown": o.Markdown, "no_email": o.NoEmail,
	} {
		if on {
			r.Set(key, Value{Bool: true})
		}
	}
	for key, m := range map[string]map[string]string{"contact": o.Contact, "from": o.From} {
		if m = nonEmpty(m); len(m) > 0 {
			r.Set(key, Value{Map: m})
		}
	}
	if len(o.CustomFields) > 0 {
		r.Set("custom_fields", Value{Map: o.CustomFields}) // an empty value clears a field
	}
	if o.Status != "" {
		r.Set("status", Value{Text: o.Status})
	}
}

// nonEmpty drops empty values: the old format's sender and contact objects
// wrote unset members as empty or not at all.
func nonEmpty(m map[string]string) map[string]string {
	var out map[string]string
	for k, v := range m {
		if v == "" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}
