package zendesk

import (
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform/payload"
)

// Readers for optional fields. Absent and null read as empty; a value of
// the wrong type is a *payload.BadRequestError naming the field, because a
// body that carries it is not one of the shapes this package reads.

// optText reads a string field.
func optText(m map[string]any, key, path string) (string, error) {
	switch v := m[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", payload.BadRequestf("%s must be a string, not %s", path, payload.TypeName(v))
	}
}

// optID reads an id, which Zendesk sends as a string in event payloads
// and as a number in its API; it is bounded like every indexed id.
func optID(m map[string]any, key, path string) (string, error) {
	v := m[key]
	s, ok := payload.Scalar(v)
	if !ok {
		return "", payload.BadRequestf("%s must be a string or a number, not %s", path, payload.TypeName(v))
	}
	return s, payload.BoundedID(s, path)
}

// ticketID reads a required ticket id: Zendesk ticket ids are numbers, and
// anything else could not be replied to.
func ticketID(m map[string]any, key, path string) (string, error) {
	id, err := payload.RequiredID(m, key, path)
	if err != nil {
		return "", err
	}
	if !isDigits(id) {
		return "", payload.BadRequestf("%s %q is not a ticket number", path, clip(id))
	}
	return id, nil
}

// optObject reads an object field.
func optObject(m map[string]any, key, path string) (map[string]any, error) {
	switch v := m[key].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return v, nil
	default:
		return nil, payload.BadRequestf("%s must be an object, not %s", path, payload.TypeName(v))
	}
}

// optBool reads a boolean field.
func optBool(m map[string]any, key, path string) (value, present bool, err error) {
	switch v := m[key].(type) {
	case nil:
		return false, false, nil
	case bool:
		return v, true, nil
	default:
		return false, false, payload.BadRequestf("%s must be a boolean, not %s", path, payload.TypeName(v))
	}
}

// optTime reads an ISO 8601 time: RFC 3339 (nanoseconds in event
// payloads), or the minute precision of Zendesk's *_with_timestamp
// placeholders (2013-12-12T05:35Z).
func optTime(m map[string]any, key, path string) (time.Time, error) {
	s, err := optText(m, key, path)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, payload.BadRequestf("%s must be an ISO 8601 time, not %q", path, clip(s))
}

// tagList reads an array of tag strings.
func tagList(m map[string]any, key, path string) ([]string, error) {
	switch v := m[key].(type) {
	case nil:
		return nil, nil
	case []any:
		tags := make([]string, 0, len(v))
		for i, t := range v {
			s, ok := t.(string)
			if !ok {
				return nil, payload.BadRequestf("%s[%d] must be a string, not %s", path, i, payload.TypeName(t))
			}
			tags = append(tags, s)
		}
		return tags, nil
	default:
		return nil, payload.BadRequestf("%s must be an array of strings, not %s", path, payload.TypeName(v))
	}
}

// clip shortens a value quoted in an error: it comes from the sender and
// goes into the 400 answer and the logs.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "..."
}

// subjectTicketID reads the ticket id of an event subject "zen:ticket:N".
func subjectTicketID(subject string) (string, bool) {
	id, ok := strings.CutPrefix(subject, ticketSubjectPrefix)
	return id, ok && isDigits(id)
}
