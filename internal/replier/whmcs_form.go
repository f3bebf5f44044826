package replier

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"strings"
)

// whmcsTrue is how booleans are sent: "1" for true, the field left out for
// false. It is what PHP's http_build_query makes of true (WHMCS's own
// examples), and PHP reads any non-empty string but "0" as true, so
// "false" would mean true; leaving the field out is false everywhere.
const whmcsTrue = "1"

// whmcsFile is one entry of the attachments field.
type whmcsFile struct {
	Name string `json:"name"`
	Data string `json:"data"`
}

// whmcsForm encodes req as multipart/form-data. Fields come in a fixed
// order; the returned content type carries the boundary.
func whmcsForm(req *Request) (string, []byte, error) {
	if err := rejectIntercomFields(req); err != nil {
		return "", nil, err
	}
	if strings.TrimSpace(req.Body) == "" {
		return "", nil, errors.New("a reply needs a message body")
	}
	if req.As == AsNote {
		// AddTicketNote takes ticketid, message, markdown and attachments only.
		if req.From != nil || len(req.CustomFields) > 0 || req.Status != "" || req.NoEmail {
			return "", nil, errors.New("notes take no sender, custom fields, status or no_email")
		}
	}
	fields := [][2]string{{"ticketid", req.Target.ID}, {"message", req.Body}}
	add := func(name, value string) {
		if value != "" {
			fields = append(fields, [2]string{name, value})
		}
	}
	add("markdown", whmcsBool(req.Markdown))
	if f := req.From; f != nil {
		if f.ClientID != "" && !isDigits(f.ClientID) {
			return "", nil, fmt.Errorf("from.client_id %q is not a number", f.ClientID)
		}
		if f.ContactID != "" && !isDigits(f.ContactID) {
			return "", nil, fmt.Errorf("from.contact_id %q is not a number", f.ContactID)
		}
		add("clientid", f.ClientID)
		add("contactid", f.ContactID)
		add("name", f.Name)
		add("email", f.Email)
		add("adminusername", f.AdminUsername)
	}
	add("status", req.Status)
	add("noemail", whmcsBool(req.NoEmail))
	if len(req.CustomFields) > 0 {
		add("customfields", base64.StdEncoding.EncodeToString([]byte(phpSerialize(req.CustomFields))))
	}
	if len(req.Attachments) > 0 {
		enc, err := whmcsAttachments(req.Attachments)
		if err != nil {
			return "", nil, err
		}
		add("attachments", enc)
	}

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return "", nil, fmt.Errorf("writing form field %s: %w", f[0], err)
		}
	}
	if err := mw.Close(); err != nil {
		return "", nil, fmt.Errorf("closing form: %w", err)
	}
	return mw.FormDataContentType(), buf.Bytes(), nil
}

func whmcsBool(b bool) string {
	if b {
		return whmcsTrue
	}
	return ""
}

// whmcsAttachments is base64 of JSON [{"name","data"}], data base64 too.
func whmcsAttachments(atts []Attachment) (string, error) {
	files := make([]whmcsFile, len(atts))
	for n, a := range atts {
		if a.Name == "" {
			return "", fmt.Errorf("attachment %d has no name", n+1)
		}
		files[n] = whmcsFile{Name: a.Name, Data: base64.StdEncoding.EncodeToString(a.Data)}
	}
	js, err := json.Marshal(files)
	if err != nil {
		return "", fmt.Errorf("encoding attachments: %w", err)
	}
	return base64.StdEncoding.EncodeToString(js), nil
}

// rejectIntercomFields refuses fields WHMCS has no place for.
func rejectIntercomFields(req *Request) error {
	var set []string
	if len(req.Options) > 0 {
		set = append(set, "options")
	}
	if len(req.AttachmentURLs) > 0 {
		set = append(set, "attachment_urls")
	}
	if req.SkipNotifications {
		set = append(set, "skip_notifications")
	}
	if req.CrossPost {
		set = append(set, "cross_post")
	}
	if req.Contact != nil {
		set = append(set, "contact")
	}
	if len(set) > 0 {
		return fmt.Errorf("whmcs has no %s (Intercom only)", strings.Join(set, ", "))
	}
	return nil
}
