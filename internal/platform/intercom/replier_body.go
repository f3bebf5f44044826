package intercom

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

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
func (i *Replier) body(req *replier.Request) ([]byte, error) {
	_, hasOptions := req.Fields[FieldOptions]
	contact := req.Map(FieldContact)
	switch {
	case !slices.Contains([]string{platform.AsComment, platform.AsNote, AsQuickReply, AsContactReply}, req.As):
		return nil, fmt.Errorf("reply kind %q is not one of comment, note, quick_reply, contact_reply", req.As)
	case hasOptions && req.As != AsQuickReply:
		return nil, errors.New("options are only sent with quick_reply")
	case req.Flag(FieldCrossPost) && (req.As != platform.AsNote || req.Target.Type != event.TargetTicket):
		return nil, errors.New("cross_post applies only to notes on tickets")
	case contact != nil && req.As != AsContactReply:
		return nil, errors.New("a contact is only used with contact_reply")
	case req.As == AsContactReply && contact == nil:
		return nil, errors.New("contact_reply needs a contact (intercom_user_id, user_id or email)")
	case req.As == AsContactReply && req.Target.Type == event.TargetTicket && len(req.Attachments) > 0:
		return nil, errors.New("contact replies to tickets take attachment URLs, not files")
	case req.As == AsContactReply && req.Target.Type == event.TargetConversation && req.Flag(FieldSkipNotifications):
		return nil, errors.New("skip_notifications is not accepted on contact replies to conversations")
	case req.As == AsQuickReply && !hasOptions:
		return nil, errors.New("quick_reply needs at least one option")
	}
	if err := i.spec.CheckRequest(req, FieldOptionUUIDs); err != nil {
		return nil, err
	}
	urls := req.List(FieldAttachmentURLs)
	if err := checkAttachmentURLs(urls); err != nil {
		return nil, err
	}
	files, err := intercomFiles(req.Attachments)
	if err != nil {
		return nil, err
	}

	out := intercomReply{
		AttachmentURLs:    urls,
		AttachmentFiles:   files,
		SkipNotifications: req.Flag(FieldSkipNotifications),
		CrossPost:         req.Flag(FieldCrossPost),
	}
	switch req.As {
	case platform.AsComment, platform.AsNote, AsQuickReply:
		out.Type, out.MessageType, out.AdminID, out.Body = "admin", req.As, i.adminID, req.Body
		if req.As == AsQuickReply {
			if out.ReplyOptions, err = intercomOptions(req.List(FieldOptions), req.List(FieldOptionUUIDs)); err != nil {
				return nil, err
			}
		} else if strings.TrimSpace(req.Body) == "" {
			return nil, fmt.Errorf("%s needs a body", req.As)
		}
	case AsContactReply:
		if err := setContact(&out, contact); err != nil {
			return nil, err
		}
		out.Type, out.MessageType, out.Body = "user", platform.AsComment, req.Body
		if strings.TrimSpace(req.Body) == "" {
			return nil, errors.New("contact_reply needs a body")
		}
	default:
		return nil, fmt.Errorf("reply kind %q is not one of comment, note, quick_reply, contact_reply", req.As)
	}
	return httpapi.EncodeJSON(out)
}

func setContact(out *intercomReply, c map[string]string) error {
	n := 0
	for _, k := range []string{"intercom_user_id", "user_id", "email"} {
		if c[k] != "" {
			n++
		}
	}
	if n != 1 || len(c) != n {
		return fmt.Errorf("contact_reply needs exactly one of intercom_user_id, user_id, email; got %d", len(c))
	}
	out.IntercomUserID, out.UserID, out.Email = c["intercom_user_id"], c["user_id"], c["email"]
	return nil
}

func intercomOptions(texts, uuids []string) ([]intercomOption, error) {
	if len(texts) == 0 {
		return nil, errors.New("quick_reply needs at least one option")
	}
	out := make([]intercomOption, len(texts))
	for n, text := range texts {
		if strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("option %d has no text", n+1)
		}
		var id string
		if n < len(uuids) {
			id = uuids[n]
		}
		if !isUUID(id) {
			return nil, fmt.Errorf("option %d (%q): uuid %q is not a UUID", n+1, text, id)
		}
		out[n] = intercomOption{Text: text, UUID: id}
	}
	return out, nil
}

func checkAttachmentURLs(urls []string) error {
	if len(urls) > maxAttachments {
		return fmt.Errorf("%d attachment URLs; intercom takes at most %d", len(urls), maxAttachments)
	}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("attachment URL %q is not an absolute http(s) URL", raw)
		}
	}
	return nil
}

func intercomFiles(atts []replier.Attachment) ([]intercomAttachment, error) {
	if len(atts) > maxAttachments {
		return nil, fmt.Errorf("%d attachments; intercom takes at most %d", len(atts), maxAttachments)
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
