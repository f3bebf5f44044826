package helpscout

import (
	"encoding/json"
	"strings"

	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/platform/payload"
	"github.com/supportops/autoresponder/internal/replier"
)

// maxFieldErrors bounds how many of a validation error's field errors go
// into one message.
const maxFieldErrors = 5

// platformMessage reads what Help Scout said in a failed answer:
// vnd.error {"message", "_embedded": {"errors": [{"path", "message"}]}},
// or an OAuth2 error {"error", "error_description"} from the token
// endpoint; anything else falls back to a snippet of the body.
func platformMessage(api *httpapi.Client, r *httpapi.Response) string {
	var body map[string]any
	if json.Unmarshal(r.Body, &body) != nil {
		return api.BodyMessage(r)
	}
	var parts []string
	if m := payload.Str(body["message"]); m != "" {
		parts = append(parts, m)
	}
	errs, _ := payload.Object(body["_embedded"])["errors"].([]any)
	for i, e := range errs {
		if i == maxFieldErrors {
			parts = append(parts, "...")
			break
		}
		e := payload.Object(e)
		msg, path := payload.Str(e["message"]), payload.Str(e["path"])
		switch {
		case msg != "" && path != "":
			parts = append(parts, path+": "+msg)
		case msg != "":
			parts = append(parts, msg)
		}
	}
	if code := payload.Str(body["error"]); code != "" {
		if desc := payload.Str(body["error_description"]); desc != "" {
			code += ": " + desc
		}
		parts = append(parts, code)
	}
	if len(parts) == 0 {
		return api.BodyMessage(r)
	}
	return api.PlatformMessage(strings.Join(parts, "; "))
}

// maxResourceIDBytes bounds the id we keep from a created thread.
const maxResourceIDBytes = 64

// responseID is the created thread's id: the Resource-ID header of the
// 201. A body, if any, must be JSON (its "id" is used when the header is
// missing). An answer without either is still a success: the thread was
// created, only its id is unknown.
func responseID(api *httpapi.Client, r *httpapi.Response) (string, *replier.Error) {
	if r.ReadErr != nil {
		return "", api.InvalidResponse(r, "reading Help Scout's answer: %v", r.ReadErr)
	}
	id := strings.TrimSpace(r.Header.Get("Resource-Id"))
	if len(strings.TrimSpace(string(r.Body))) > 0 {
		var body any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			return "", api.InvalidResponse(r, "Help Scout answered %d with a body that is not JSON: %s", r.Status, api.Snippet(r.Body))
		}
		if id == "" {
			id = payload.Str(payload.Object(body)["id"])
		}
	}
	if id != "" && (len(id) > maxResourceIDBytes || strings.ContainsFunc(id, isSpaceOrControl)) {
		return "", api.InvalidResponse(r, "Help Scout answered %d with an unusable thread id: %s", r.Status, api.Snippet([]byte(id)))
	}
	return id, nil
}
