package whmcs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
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

// checkFields refuses what the note or reply endpoint has no place for,
// by the capability table; the note's own message says what notes take.
func checkFields(spec *platform.Spec, req *replier.Request) error {
	if req.As == platform.AsNote {
		// AddTicketNote takes ticketid, message, markdown and attachments only.
		for _, k := range []string{FieldFrom, FieldCustomFields, FieldStatus, FieldNoEmail} {
			if _, ok := req.Fields[k]; ok {
				return errors.New("notes take no sender, custom fields, status or no_email")
			}
		}
	}
	return spec.CheckRequest(req)
}

// form encodes req as multipart/form-data. Fields come in a fixed order;
// the returned content type carries the boundary.
func form(req *replier.Request) (string, []byte, error) {
	if strings.TrimSpace(req.Body) == "" {
		return "", nil, errors.New("a reply needs a message body")
	}
	fields := [][2]string{{"ticketid", req.Target.ID}, {"message", req.Body}}
	add := func(name, value string) {
		if value != "" {
			fields = append(fields, [2]string{name, value})
		}
	}
	add("markdown", whmcsBool(req.Flag(FieldMarkdown)))
	if f := req.Map(FieldFrom); f != nil {
		if err := keliwebSender(f); err != nil {
			return "", nil, err
		}
		add("clientid", f["client_id"])
		add("contactid", f["contact_id"])
		add("name", f["name"])
		add("email", f["email"])
		add("adminusername", f["admin_username"])
	}
	add("status", req.Text(FieldStatus))
	add("noemail", whmcsBool(req.Flag(FieldNoEmail)))
	if cf := req.Map(FieldCustomFields); len(cf) > 0 {
		add("customfields", base64.StdEncoding.EncodeToString([]byte(phpSerialize(cf))))
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
func whmcsAttachments(atts []replier.Attachment) (string, error) {
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
