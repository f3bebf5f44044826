package replier

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/supportops/autoresponder/internal/event"
)

// maxIntercomAttachments is Intercom's limit on attachment_urls and on
// attachment_files.
const maxIntercomAttachments = 10

// intercomReply is the flat JSON body of both reply endpoints. Field order
// is fixed so that the same Request always encodes to the same bytes.
type intercomReply struct {
	Type              string               `json:"type"`
	MessageType       string               `json:"message_type"`
	AdminID           string               `json:"admin_id,omitempty"`
	IntercomUserID    string               `json:"intercom_user_id,omitempty"`
	UserID            string               `json:"user_id,omitempty"`
	Email             string               `json:"email,omitempty"`
	Body              string               `json:"body,omitempty"`
	ReplyOptions      []intercomOption     `json:"reply_options,omitempty"`
	AttachmentURLs    []string             `json:"attachment_urls,omitempty"`
	AttachmentFiles   []intercomAttachment `json:"attachment_files,omitempty"`
	SkipNotifications bool                 `json:"skip_notifications,omitempty"`
	CrossPost         bool                 `json:"cross_post,omitempty"`
}

type intercomOption struct {
	Text string `json:"text"`
	UUID string `json:"uuid"`
}

type intercomAttachment struct {
	ContentType string `json:"content_type"`
	Data        string `json:"data"`
	Name        string `json:"name"`
}

// body encodes req for the reply endpoints. Everything Intercom would
// reject, or silently ignore, is refused here: a rule that asks for
// something the platform cannot do should fail loudly, once, not post a
// reply that differs from what the rule says.
func (i *Intercom) body(req *Request) ([]byte, error) {
	if err := rejectWHMCSFields(req); err != nil {
		return nil, err
	}
	if req.Options != nil && req.As != AsQuickReply {
		return nil, errors.New("options are only sent with quick_reply")
	}
	if req.CrossPost && (req.As != AsNote || req.Target.Type != event.TargetTicket) {
		return nil, errors.New("cross_post applies only to notes on tickets")
	}
	if err := checkAttachmentURLs(req.AttachmentURLs); err != nil {
		return nil, err
	}
	files, err := intercomFiles(req.Attachments)
	if err != nil {
		return nil, err
	}

	out := intercomReply{
		AttachmentURLs:    req.AttachmentURLs,
		AttachmentFiles:   files,
		SkipNotifications: req.SkipNotifications,
		CrossPost:         req.CrossPost,
	}
	switch req.As {
	case AsComment, AsNote, AsQuickReply:
		if req.Contact != nil {
			return nil, errors.New("a contact is only used with contact_reply")
		}
		out.Type, out.MessageType, out.AdminID, out.Body = "admin", req.As, i.adminID, req.Body
		if req.As == AsQuickReply {
			if out.ReplyOptions, err = intercomOptions(req.Options); err != nil {
				return nil, err
			}
		} else if strings.TrimSpace(req.Body) == "" {
			return nil, fmt.Errorf("%s needs a body", req.As)
		}
	case AsContactReply:
		if err := setContact(&out, req.Contact); err != nil {
			return nil, err
		}
		out.Type, out.MessageType, out.Body = "user", AsComment, req.Body
		if strings.TrimSpace(req.Body) == "" {
			return nil, errors.New("contact_reply needs a body")
		}
		// The ticket schema has no attachment_files for contacts, and only
		// the ticket body has a top-level skip_notifications.
		if req.Target.Type == event.TargetTicket && len(files) > 0 {
			return nil, errors.New("contact replies to tickets take attachment URLs, not files")
		}
		if req.Target.Type == event.TargetConversation && req.SkipNotifications {
			return nil, errors.New("skip_notifications is not accepted on contact replies to conversations")
		}
	default:
		return nil, fmt.Errorf("reply kind %q is not one of comment, note, quick_reply, contact_reply", req.As)
	}
	return encodeJSON(out)
}

// rejectWHMCSFields refuses fields Intercom has no place for.
func rejectWHMCSFields(req *Request) error {
	var set []string
	if req.Markdown {
		set = append(set, "markdown")
	}
	if req.From != nil {
		set = append(set, "from")
	}
	if len(req.CustomFields) > 0 {
		set = append(set, "custom_fields")
	}
	if req.Status != "" {
		set = append(set, "status")
	}
	if req.NoEmail {
		set = append(set, "no_email")
	}
	if len(set) > 0 {
		return fmt.Errorf("intercom has no %s (WHMCS only)", strings.Join(set, ", "))
	}
	return nil
}

func setContact(out *intercomReply, c *ContactRef) error {
	if c == nil {
		return errors.New("contact_reply needs a contact (intercom_user_id, user_id or email)")
	}
	n := 0
	for _, v := range []string{c.IntercomUserID, c.UserID, c.Email} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("contact_reply needs exactly one of intercom_user_id, user_id, email; got %d", n)
	}
	out.IntercomUserID, out.UserID, out.Email = c.IntercomUserID, c.UserID, c.Email
	return nil
}

func intercomOptions(opts []Option) ([]intercomOption, error) {
	if len(opts) == 0 {
		return nil, errors.New("quick_reply needs at least one option")
	}
	out := make([]intercomOption, len(opts))
	for n, o := range opts {
		if strings.TrimSpace(o.Text) == "" {
			return nil, fmt.Errorf("option %d has no text", n+1)
		}
		if !isUUID(o.UUID) {
			return nil, fmt.Errorf("option %d (%q): uuid %q is not a UUID", n+1, o.Text, o.UUID)
		}
		out[n] = intercomOption(o)
	}
	return out, nil
}

func checkAttachmentURLs(urls []string) error {
	if len(urls) > maxIntercomAttachments {
		return fmt.Errorf("%d attachment URLs; intercom takes at most %d", len(urls), maxIntercomAttachments)
	}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("attachment URL %q is not an absolute http(s) URL", raw)
		}
	}
	return nil
}

func intercomFiles(atts []Attachment) ([]intercomAttachment, error) {
	if len(atts) > maxIntercomAttachments {
		return nil, fmt.Errorf("%d attachments; intercom takes at most %d", len(atts), maxIntercomAttachments)
	}
	if len(atts) == 0 {
		return nil, nil
	}
	out := make([]intercomAttachment, len(atts))
	for n, a := range atts {
		if a.Name == "" {
			return nil, fmt.Errorf("attachment %d has no name", n+1)
		}
		ct := a.ContentType
		if ct == "" {
			// Intercom wants a content type; the data knows best.
			ct = http.DetectContentType(a.Data)
		}
		out[n] = intercomAttachment{ContentType: ct, Data: base64.StdEncoding.EncodeToString(a.Data), Name: a.Name}
	}
	return out, nil
}

// encodeJSON marshals without HTML escaping: bodies are HTML and read
// better in logs and fakes as they are.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// isUUID accepts the canonical 8-4-4-4-12 hex form Intercom documents.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
