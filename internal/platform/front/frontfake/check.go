package frontfake

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// keyType is the JSON type a body key must have.
type keyType int

const (
	tString keyType = iota
	tBool
	tStringList
	tOptions
)

// The documented bodies (Front Core API: create-message-reply and
// add-comment). attachments are left out: they need multipart/form-data,
// which the bot never sends.
var (
	replyKeys = map[string]keyType{
		"to": tStringList, "cc": tStringList, "bcc": tStringList,
		"sender_name": tString, "subject": tString, "author_id": tString, "channel_id": tString,
		"body": tString, "text": tString, "quote_body": tString, "options": tOptions,
		"signature_id": tString, "should_add_default_signature": tBool,
	}
	replyOptionKeys = map[string]keyType{"tag_ids": tStringList, "archive": tBool}
	commentKeys     = map[string]keyType{"author_id": tString, "body": tString, "is_pinned": tBool}
)

// check validates one request; a non-empty problem list is answered with
// status.
func check(r *http.Request, raw []byte) (Request, int, []string) {
	var req Request
	if r.Method != http.MethodPost {
		return req, http.StatusMethodNotAllowed, []string{"method " + r.Method + ": replies and comments are POST"}
	}
	endpoint, id, ok := splitPath(r.URL.EscapedPath())
	if !ok {
		return req, http.StatusNotFound, []string{"no such endpoint " + r.URL.EscapedPath()}
	}
	req.Endpoint, req.ConversationID, req.Header = endpoint, id, r.Header.Clone()
	status, probs := checkHeaders(r, true)
	if status != 0 {
		return req, status, probs
	}
	addf := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }

	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		addf("body is not a JSON object")
		return req, http.StatusBadRequest, probs
	}
	req.Body = body
	keys := replyKeys
	if endpoint == "comments" {
		keys = commentKeys
	}
	probs = append(probs, checkKeys(body, keys, "")...)
	if s, _ := body["body"].(string); s == "" {
		addf("body: required, a non-empty string")
	}
	// Front refuses ids of teammates and channels it does not know.
	if v, ok := body["author_id"].(string); ok && v != DefaultTeammateID {
		addf("author_id %q: no such teammate", v)
	}
	if v, ok := body["channel_id"].(string); ok && v != DefaultChannelID {
		addf("channel_id %q: no such channel", v)
	}
	if len(probs) > 0 {
		return req, http.StatusBadRequest, probs
	}
	return req, 0, nil
}

// checkHeaders checks what every call sends: the Bearer API token (a
// non-zero status: refused outright), a JSON content type when it has a
// body (none on a GET) and a User-Agent.
func checkHeaders(r *http.Request, withBody bool) (int, []string) {
	if got := r.Header.Values("Authorization"); len(got) != 1 || got[0] != "Bearer "+DefaultToken {
		return http.StatusUnauthorized, []string{"Authorization is not the Bearer API token"}
	}
	var probs []string
	addf := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if withBody {
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			addf("Content-Type %q: want application/json", r.Header.Get("Content-Type"))
		} else if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			addf("Content-Type charset %q: want utf-8", cs)
		}
	} else if r.ContentLength > 0 || r.Header.Get("Content-Type") != "" {
		addf("a GET with a body or Content-Type")
	}
	if r.Header.Get("User-Agent") == "" {
		addf("no User-Agent")
	}
	return 0, probs
}

// splitPath reads /conversations/{id}/messages or .../comments.
func splitPath(escaped string) (endpoint, id string, ok bool) {
	parts := strings.Split(escaped, "/")
	if len(parts) != 4 || parts[0] != "" || parts[1] != "conversations" {
		return "", "", false
	}
	if parts[3] != "messages" && parts[3] != "comments" {
		return "", "", false
	}
	id, err := url.PathUnescape(parts[2])
	if err != nil || id == "" || strings.ContainsAny(id, "/?#") {
		return "", "", false
	}
	return parts[3], id, true
}

// checkKeys refuses unknown keys and values of the wrong type, in a
// stable order.
func checkKeys(body map[string]any, allowed map[string]keyType, prefix string) []string {
	names := make([]string, 0, len(body))
	for k := range body {
		names = append(names, k)
	}
	sort.Strings(names)
	var probs []string
	for _, k := range names {
		v := body[k]
		t, ok := allowed[k]
		if !ok {
			probs = append(probs, fmt.Sprintf("%s%s: unknown key", prefix, k))
			continue
		}
		if p := checkType(v, t, prefix+k); p != nil {
			probs = append(probs, p...)
		}
	}
	return probs
}

func checkType(v any, t keyType, path string) []string {
	wrong := []string{fmt.Sprintf("%s: wrong type %T", path, v)}
	switch t {
	case tString:
		if _, ok := v.(string); !ok {
			return wrong
		}
	case tBool:
		if _, ok := v.(bool); !ok {
			return wrong
		}
	case tStringList:
		list, ok := v.([]any)
		if !ok {
			return wrong
		}
		for _, e := range list {
			if _, ok := e.(string); !ok {
				return []string{path + ": every item must be a string"}
			}
		}
	case tOptions:
		o, ok := v.(map[string]any)
		if !ok {
			return wrong
		}
		return checkKeys(o, replyOptionKeys, path+".")
	}
	return nil
}
