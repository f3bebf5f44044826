package intercom

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
)

// intercomConversation is the part of a conversation we read back.
type intercomConversation struct {
	Type              string     `json:"type"`
	ID                httpapi.ID `json:"id"`
	ConversationParts *struct {
		ConversationParts []struct {
			ID httpapi.ID `json:"id"`
		} `json:"conversation_parts"`
	} `json:"conversation_parts"`
}

// intercomTicketPart is what POST /tickets/{id}/reply returns.
type intercomTicketPart struct {
	Type string     `json:"type"`
	ID   httpapi.ID `json:"id"`
}

// intercomResponseID reads the id of what a successful reply created: the
// last conversation part (the one just added), else the conversation; for
// tickets, the ticket part.
func responseID(targetType string, body []byte) (string, error) {
	if targetType == event.TargetTicket {
		var p intercomTicketPart
		if err := json.Unmarshal(body, &p); err != nil {
			return "", fmt.Errorf("reply accepted but the response is not a ticket part: %w", err)
		}
		if p.Type != "" && p.Type != "ticket_part" {
			return "", fmt.Errorf("reply accepted but the response is a %q, not a ticket_part", p.Type)
		}
		if p.ID == "" {
			return "", errors.New("reply accepted but the ticket part has no id")
		}
		return string(p.ID), nil
	}
	var c intercomConversation
	if err := json.Unmarshal(body, &c); err != nil {
		return "", fmt.Errorf("reply accepted but the response is not a conversation: %w", err)
	}
	if c.Type != "" && c.Type != "conversation" {
		return "", fmt.Errorf("reply accepted but the response is a %q, not a conversation", c.Type)
	}
	if c.ID == "" {
		return "", errors.New("reply accepted but the conversation has no id")
	}
	if c.ConversationParts != nil {
		if parts := c.ConversationParts.ConversationParts; len(parts) > 0 && parts[len(parts)-1].ID != "" {
			return string(parts[len(parts)-1].ID), nil
		}
	}
	return string(c.ID), nil
}

// objectID reads the id of a returned object of type typ (tag, ticket).
func objectID(body []byte, typ string) (string, error) {
	var o struct {
		Type string     `json:"type"`
		ID   httpapi.ID `json:"id"`
	}
	if err := json.Unmarshal(body, &o); err != nil {
		return "", fmt.Errorf("the response is not a %s: %w", typ, err)
	}
	if o.Type != "" && o.Type != typ {
		return "", fmt.Errorf("the response is a %q, not a %s", o.Type, typ)
	}
	if o.ID == "" {
		return "", fmt.Errorf("the %s has no id", typ)
	}
	return string(o.ID), nil
}

// intercomErrorList is Intercom's error body.
type intercomErrorList struct {
	Type   string `json:"type"`
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

// intercomErrorMessage renders "code: message; code: message" from an
// error.list, falling back to a snippet of whatever the body is.
func (i *Replier) errorMessage(r *httpapi.Response) string {
	var list intercomErrorList
	if err := json.Unmarshal(r.Body, &list); err == nil && len(list.Errors) > 0 {
		parts := make([]string, 0, len(list.Errors))
		for _, e := range list.Errors {
			switch {
			case e.Code != "" && e.Message != "":
				parts = append(parts, e.Code+": "+e.Message)
			case e.Code != "":
				parts = append(parts, e.Code)
			case e.Message != "":
				parts = append(parts, e.Message)
			}
		}
		if len(parts) > 0 {
			return i.c.PlatformMessage(strings.Join(parts, "; "))
		}
	}
	return i.c.BodyMessage(r)
}
