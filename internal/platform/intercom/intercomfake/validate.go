package intercomfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// maxAttachments is Intercom's limit on attachment_urls and attachment_files.
const maxAttachments = 10

// Keys each body shape may carry, from the 2.16 schemas
// (admin_reply_*_request, contact_reply_*_request; the ticket body adds a
// top-level skip_notifications to both).
var (
	adminKeys = []string{
		"type", "message_type", "admin_id", "body", "created_at",
		"reply_options", "attachment_urls", "attachment_files", "skip_notifications",
	}
	adminTicketKeys = append(slices.Clip(adminKeys), "cross_post")

	userKeys = []string{
		"type", "message_type", "body", "created_at", "attachment_urls", "reply_options",
		"intercom_user_id", "user_id", "email",
	}
	userConversationKeys = append(slices.Clip(userKeys), "attachment_files")
	userTicketKeys       = append(slices.Clip(userKeys), "skip_notifications")
)

// checkBody validates a reply body against its shape and returns it parsed.
func (f *intercomPlatform) checkBody(p *platformfake.Problems, endpoint, id string, raw []byte) map[string]any {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		p.Addf("body is not a JSON object")
		return nil
	}
	if _, err := dec.Token(); err != io.EOF {
		p.Addf("body has data after the JSON object")
	}

	typ, _ := platformfake.StringField(p, fields, "type", true)
	messageType, _ := platformfake.StringField(p, fields, "message_type", true)
	body, hasBody := platformfake.StringField(p, fields, "body", false)

	var allowed []string
	switch typ {
	case "admin":
		allowed = adminKeys
		if endpoint == "ticket" {
			allowed = adminTicketKeys
		}
		f.checkAdmin(p, fields, endpoint, messageType)
		if (messageType == "comment" || messageType == "note") && (!hasBody || strings.TrimSpace(body) == "") {
			p.Addf("body is required for %s", messageType)
		}
		if id == "last" {
			p.Addf(`"last" needs a contact reply (type user)`)
		}
	case "user":
		allowed = userConversationKeys
		if endpoint == "ticket" {
			allowed = userTicketKeys
		}
		if messageType != "" && messageType != "comment" {
			p.Addf("message_type %q: contact replies are comment", messageType)
		}
		if !hasBody || strings.TrimSpace(body) == "" {
			p.Addf("body is required for contact replies")
		}
		checkContact(p, fields)
		if _, ok := fields["reply_options"]; ok {
			checkOptions(p, fields["reply_options"])
		}
	case "":
	default:
		p.Addf("type %q: want admin or user", typ)
	}
	if id == "last" && endpoint != "conversation" {
		p.Addf(`"last" is only an id for conversations`)
	}
	if allowed != nil {
		for k := range fields {
			if !slices.Contains(allowed, k) {
				p.Addf("unknown field %q for a %s reply to a %s", k, typ, endpoint)
			}
		}
	}

	if raw, ok := fields["attachment_urls"]; ok {
		checkURLs(p, raw)
	}
	if raw, ok := fields["attachment_files"]; ok {
		checkFiles(p, raw)
	}
	for _, k := range []string{"skip_notifications", "cross_post"} {
		if raw, ok := fields[k]; ok {
			var b bool
			if err := json.Unmarshal(raw, &b); err != nil || platformfake.IsNull(raw) {
				p.Addf("%s: want a boolean", k)
			}
		}
	}
	if raw, ok := fields["created_at"]; ok {
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil || platformfake.IsNull(raw) {
			p.Addf("created_at: want unix seconds (an integer)")
		}
	}

	var parsed map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&parsed); err != nil {
		p.Addf("body: %v", err)
	}
	return parsed
}

func (f *intercomPlatform) checkAdmin(p *platformfake.Problems, fields map[string]json.RawMessage, endpoint, messageType string) {
	switch messageType {
	case "comment", "note", "quick_reply", "":
	default:
		p.Addf("message_type %q: want comment, note or quick_reply", messageType)
	}
	if adminID, ok := platformfake.StringField(p, fields, "admin_id", true); ok {
		switch {
		case adminID == "":
			p.Addf("admin_id is empty")
		case f.opts.AdminID != "" && adminID != f.opts.AdminID:
			p.Addf("admin_id %q: want %q", adminID, f.opts.AdminID)
		}
	}
	rawOpts, hasOpts := fields["reply_options"]
	switch {
	case messageType == "quick_reply" && !hasOpts:
		p.Addf("reply_options is required for quick_reply")
	case messageType != "quick_reply" && hasOpts:
		p.Addf("reply_options is only for quick_reply")
	case hasOpts:
		checkOptions(p, rawOpts)
	}
	if _, ok := fields["cross_post"]; ok && (endpoint != "ticket" || messageType != "note") {
		p.Addf("cross_post is only for notes on tickets")
	}
}

// checkContact wants exactly one contact identifier.
func checkContact(p *platformfake.Problems, fields map[string]json.RawMessage) {
	n := 0
	for _, k := range []string{"intercom_user_id", "user_id", "email"} {
		if _, ok := fields[k]; !ok {
			continue
		}
		n++
		if v, ok := platformfake.StringField(p, fields, k, true); ok && v == "" {
			p.Addf("%s is empty", k)
		}
	}
	if n != 1 {
		p.Addf("contact replies need exactly one of intercom_user_id, user_id, email; got %d", n)
	}
}

func checkOptions(p *platformfake.Problems, raw json.RawMessage) {
	var opts []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &opts); err != nil || platformfake.IsNull(raw) {
		p.Addf("reply_options: want an array of {text, uuid}")
		return
	}
	if len(opts) == 0 {
		p.Addf("reply_options is empty")
	}
	for _, o := range opts {
		for k := range o {
			if k != "text" && k != "uuid" {
				p.Addf("reply_options: unknown field %q", k)
			}
		}
		if text, ok := platformfake.StringField(p, o, "text", true); ok && strings.TrimSpace(text) == "" {
			p.Addf("reply_options: text is empty")
		}
		if id, ok := platformfake.StringField(p, o, "uuid", true); ok && !platformfake.IsUUID(id) {
			p.Addf("reply_options: uuid %q is not a UUID", id)
		}
	}
}

func checkURLs(p *platformfake.Problems, raw json.RawMessage) {
	var urls []string
	if err := json.Unmarshal(raw, &urls); err != nil || platformfake.IsNull(raw) {
		p.Addf("attachment_urls: want an array of strings")
		return
	}
	if len(urls) > maxAttachments {
		p.Addf("attachment_urls: %d items, at most %d", len(urls), maxAttachments)
	}
	for _, s := range urls {
		if u, err := url.Parse(s); err != nil || !u.IsAbs() || u.Host == "" {
			p.Addf("attachment_urls: %q is not an absolute URI", s)
		}
	}
}

func checkFiles(p *platformfake.Problems, raw json.RawMessage) {
	var files []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &files); err != nil || platformfake.IsNull(raw) {
		p.Addf("attachment_files: want an array of {content_type, data, name}")
		return
	}
	if len(files) > maxAttachments {
		p.Addf("attachment_files: %d items, at most %d", len(files), maxAttachments)
	}
	for _, f := range files {
		for k := range f {
			if k != "content_type" && k != "data" && k != "name" {
				p.Addf("attachment_files: unknown field %q", k)
			}
		}
		for _, k := range []string{"content_type", "name"} {
			if v, ok := platformfake.StringField(p, f, k, true); ok && v == "" {
				p.Addf("attachment_files: %s is empty", k)
			}
		}
		if data, ok := platformfake.StringField(p, f, "data", true); ok {
			if _, err := base64.StdEncoding.DecodeString(data); err != nil {
				p.Addf("attachment_files: data is not base64: %v", err)
			}
		}
	}
}

// str reads a string field; ok is false when it is absent or not a string.
