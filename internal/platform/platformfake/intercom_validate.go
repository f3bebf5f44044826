package platformfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strings"
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
func (f *intercomPlatform) checkBody(p *problems, endpoint, id string, raw []byte) map[string]any {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		p.addf("body is not a JSON object")
		return nil
	}
	if _, err := dec.Token(); err != io.EOF {
		p.addf("body has data after the JSON object")
	}

	typ, _ := str(p, fields, "type", true)
	messageType, _ := str(p, fields, "message_type", true)
	body, hasBody := str(p, fields, "body", false)

	var allowed []string
	switch typ {
	case "admin":
		allowed = adminKeys
		if endpoint == "ticket" {
			allowed = adminTicketKeys
		}
		f.checkAdmin(p, fields, endpoint, messageType)
		if (messageType == "comment" || messageType == "note") && (!hasBody || strings.TrimSpace(body) == "") {
			p.addf("body is required for %s", messageType)
		}
		if id == "last" {
			p.addf(`"last" needs a contact reply (type user)`)
		}
	case "user":
		allowed = userConversationKeys
		if endpoint == "ticket" {
			allowed = userTicketKeys
		}
		if messageType != "" && messageType != "comment" {
			p.addf("message_type %q: contact replies are comment", messageType)
		}
		if !hasBody || strings.TrimSpace(body) == "" {
			p.addf("body is required for contact replies")
		}
		checkContact(p, fields)
		if _, ok := fields["reply_options"]; ok {
			checkOptions(p, fields["reply_options"])
		}
	case "":
	default:
		p.addf("type %q: want admin or user", typ)
	}
	if id == "last" && endpoint != "conversation" {
		p.addf(`"last" is only an id for conversations`)
	}
	if allowed != nil {
		for k := range fields {
			if !slices.Contains(allowed, k) {
				p.addf("unknown field %q for a %s reply to a %s", k, typ, endpoint)
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
			if err := json.Unmarshal(raw, &b); err != nil || isNull(raw) {
				p.addf("%s: want a boolean", k)
			}
		}
	}
	if raw, ok := fields["created_at"]; ok {
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil || isNull(raw) {
			p.addf("created_at: want unix seconds (an integer)")
		}
	}

	var parsed map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&parsed); err != nil {
		p.addf("body: %v", err)
	}
	return parsed
}

func (f *intercomPlatform) checkAdmin(p *problems, fields map[string]json.RawMessage, endpoint, messageType string) {
	switch messageType {
	case "comment", "note", "quick_reply", "":
	default:
		p.addf("message_type %q: want comment, note or quick_reply", messageType)
	}
	if adminID, ok := str(p, fields, "admin_id", true); ok {
		switch {
		case adminID == "":
			p.addf("admin_id is empty")
		case f.opts.AdminID != "" && adminID != f.opts.AdminID:
			p.addf("admin_id %q: want %q", adminID, f.opts.AdminID)
		}
	}
	rawOpts, hasOpts := fields["reply_options"]
	switch {
	case messageType == "quick_reply" && !hasOpts:
		p.addf("reply_options is required for quick_reply")
	case messageType != "quick_reply" && hasOpts:
		p.addf("reply_options is only for quick_reply")
	case hasOpts:
		checkOptions(p, rawOpts)
	}
	if _, ok := fields["cross_post"]; ok && (endpoint != "ticket" || messageType != "note") {
		p.addf("cross_post is only for notes on tickets")
	}
}

// checkContact wants exactly one contact identifier.
func checkContact(p *problems, fields map[string]json.RawMessage) {
	n := 0
	for _, k := range []string{"intercom_user_id", "user_id", "email"} {
		if _, ok := fields[k]; !ok {
			continue
		}
		n++
		if v, ok := str(p, fields, k, true); ok && v == "" {
			p.addf("%s is empty", k)
		}
	}
	if n != 1 {
		p.addf("contact replies need exactly one of intercom_user_id, user_id, email; got %d", n)
	}
}

func checkOptions(p *problems, raw json.RawMessage) {
	var opts []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &opts); err != nil || isNull(raw) {
		p.addf("reply_options: want an array of {text, uuid}")
		return
	}
	if len(opts) == 0 {
		p.addf("reply_options is empty")
	}
	for _, o := range opts {
		for k := range o {
			if k != "text" && k != "uuid" {
				p.addf("reply_options: unknown field %q", k)
			}
		}
		if text, ok := str(p, o, "text", true); ok && strings.TrimSpace(text) == "" {
			p.addf("reply_options: text is empty")
		}
		if id, ok := str(p, o, "uuid", true); ok && !isUUID(id) {
			p.addf("reply_options: uuid %q is not a UUID", id)
		}
	}
}

func checkURLs(p *problems, raw json.RawMessage) {
	var urls []string
	if err := json.Unmarshal(raw, &urls); err != nil || isNull(raw) {
		p.addf("attachment_urls: want an array of strings")
		return
	}
	if len(urls) > maxAttachments {
		p.addf("attachment_urls: %d items, at most %d", len(urls), maxAttachments)
	}
	for _, s := range urls {
		if u, err := url.Parse(s); err != nil || !u.IsAbs() || u.Host == "" {
			p.addf("attachment_urls: %q is not an absolute URI", s)
		}
	}
}

func checkFiles(p *problems, raw json.RawMessage) {
	var files []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &files); err != nil || isNull(raw) {
		p.addf("attachment_files: want an array of {content_type, data, name}")
		return
	}
	if len(files) > maxAttachments {
		p.addf("attachment_files: %d items, at most %d", len(files), maxAttachments)
	}
	for _, f := range files {
		for k := range f {
			if k != "content_type" && k != "data" && k != "name" {
				p.addf("attachment_files: unknown field %q", k)
			}
		}
		for _, k := range []string{"content_type", "name"} {
			if v, ok := str(p, f, k, true); ok && v == "" {
				p.addf("attachment_files: %s is empty", k)
			}
		}
		if data, ok := str(p, f, "data", true); ok {
			if _, err := base64.StdEncoding.DecodeString(data); err != nil {
				p.addf("attachment_files: data is not base64: %v", err)
			}
		}
	}
}

// str reads a string field; ok is false when it is absent or not a string.
func str(p *problems, fields map[string]json.RawMessage, key string, required bool) (string, bool) {
	raw, present := fields[key]
	if !present {
		if required {
			p.addf("%s is required", key)
		}
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || isNull(raw) {
		p.addf("%s: want a string, got %s", key, clipRaw(raw))
		return "", false
	}
	return s, true
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func clipRaw(raw json.RawMessage) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "..."
	}
	return string(raw)
}
