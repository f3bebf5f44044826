package whmcsfake

import (
	"encoding/base64"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// Fields each method takes (WHMCS AddTicketReply / AddTicketNote).
var (
	whmcsReplyFields = map[string]bool{
		"ticketid": true, "ticketnum": true, "message": true, "markdown": true,
		"clientid": true, "contactid": true, "adminusername": true, "name": true,
		"email": true, "status": true, "noemail": true, "customfields": true,
		"attachments": true, "created": true,
	}
	whmcsNoteFields = map[string]bool{
		"ticketid": true, "ticketnum": true, "message": true, "markdown": true, "attachments": true,
	}
)

// checkWHMCSForm validates the fields of one method call and decodes the
// encoded ones.
func checkWHMCSForm(p *platformfake.Problems, endpoint string, form map[string]string) (map[string]string, []platformfake.File) {
	allowed := whmcsReplyFields
	if endpoint == "add-ticket-note" {
		allowed = whmcsNoteFields
	}
	for k := range form {
		if !allowed[k] {
			p.Addf("unknown field %q for %s", k, endpoint)
		}
	}

	id, hasID := form["ticketid"]
	_, hasNum := form["ticketnum"]
	switch {
	case hasID == hasNum:
		p.Addf("want exactly one of ticketid, ticketnum")
	case hasID && !platformfake.IsDigits(id):
		p.Addf("ticketid %q is not a number", id)
	case hasNum && form["ticketnum"] == "":
		p.Addf("ticketnum is empty")
	}
	if strings.TrimSpace(form["message"]) == "" {
		p.Addf("Message is required")
	}
	for _, k := range []string{"markdown", "noemail"} {
		if v, ok := form[k]; ok {
			checkBool(p, k, v)
		}
	}
	for _, k := range []string{"clientid", "contactid"} {
		if v, ok := form[k]; ok && !platformfake.IsDigits(v) {
			p.Addf("%s %q is not a number", k, v)
		}
	}
	for _, k := range []string{"adminusername", "name", "status"} {
		if v, ok := form[k]; ok && strings.TrimSpace(v) == "" {
			p.Addf("%s is empty", k)
		}
	}
	if v, ok := form["email"]; ok {
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			p.Addf("email %q is not an address", v)
		}
	}
	if v, ok := form["created"]; ok {
		if _, err := time.Parse(time.DateTime, v); err != nil {
			p.Addf("created %q: want YYYY-MM-DD HH:mm:ss", v)
		}
	}

	var custom map[string]string
	if v, ok := form["customfields"]; ok {
		raw, err := decodeBase64(v)
		if err == nil {
			custom, err = phpUnserialize(string(raw))
		}
		if err != nil {
			p.Addf("customfields: %v", err)
		}
	}
	var files []platformfake.File
	if v, ok := form["attachments"]; ok {
		var err error
		if files, err = decodeAttachments(v); err != nil {
			p.Addf("attachments: %v", err)
		}
	}
	return custom, files
}

// checkBool accepts the encodings PHP reads as intended. "false" is
// refused: PHP reads any non-empty string but "0" as true.
func checkBool(p *platformfake.Problems, key, v string) {
	switch v {
	case "1", "0", "true":
	case "false":
		p.Addf(`%s "false" reads as true in PHP; send 1 or leave it out`, key)
	default:
		p.Addf("%s %q: want 1 or 0", key, v)
	}
}

func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	return b, nil
}
