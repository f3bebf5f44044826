package intercomfake

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// maxIntercomBody bounds what the fake reads; ten base64 files fit.
const maxIntercomBody = 64 << 20

// Options configures the Intercom fake.
type Options struct {
	// Token is the access token every request must carry as a Bearer
	// token; empty accepts any non-empty token.
	Token string
	// APIVersion, when set, must be sent as Intercom-Version; when empty
	// the header is optional but must name a known version.
	APIVersion string
	// AdminID, when set, is the only admin_id accepted.
	AdminID string
	// RateLimit enables fixed-window limiting (zero: off).
	RateLimit platformfake.RateLimit
	// TicketStates are what GET /ticket_states lists, and the only
	// ticket_state_id values PUT /tickets/{id} takes; nil lists
	// DefaultTicketStates.
	TicketStates []TicketState
	// Hook decides answers; see Hook.
	Hook platformfake.Hook
	// Now is the clock (rate-limit windows, recorded times); default time.Now.
	Now func() time.Time
	// DisableRecording keeps only counters, for long load runs.
	DisableRecording bool
}

// Fake is a strict fake of Intercom's reply endpoints,
// POST /conversations/{id}/reply and POST /tickets/{id}/reply, and of the
// endpoints actions call (tags, conversation parts, PUT conversation and
// ticket, GET /ticket_states). It keeps the state actions change
// (actions.go).
type Fake struct {
	*platformfake.Server
	p *intercomPlatform
}

// New starts the fake; Close it when done.
func New(opts Options) *Fake {
	p := &intercomPlatform{opts: opts, st: newState(), defaultStates: DefaultTicketStates()}
	return &Fake{Server: platformfake.NewServer(p, opts.RateLimit, opts.Hook, opts.Now, opts.DisableRecording), p: p}
}

type intercomPlatform struct {
	opts          Options
	defaultStates []TicketState // listed when opts.TicketStates is nil

	mu sync.Mutex // guards st: Check and Success run concurrently
	st *state
}

func (*intercomPlatform) Name() string { return "intercom" }

// intercomVersions are the values Intercom-Version may take (2.16 spec).
var intercomVersions = map[string]bool{
	"1.0": true, "1.1": true, "1.2": true, "1.3": true, "1.4": true,
	"2.0": true, "2.1": true, "2.2": true, "2.3": true, "2.4": true, "2.5": true,
	"2.6": true, "2.7": true, "2.8": true, "2.9": true, "2.10": true, "2.11": true,
	"2.12": true, "2.13": true, "2.14": true, "2.15": true, "2.16": true, "Unstable": true,
}

func (f *intercomPlatform) Check(r *http.Request, rec *platformfake.Recorded) *platformfake.Failure {
	endpoint, id, ok := intercomPath(rec.Path)
	if !ok {
		return &platformfake.Failure{Status: http.StatusNotFound, Code: "not_found", Problems: []string{"no such endpoint " + rec.Path}}
	}
	if want := endpointMethod(endpoint); r.Method != want {
		return &platformfake.Failure{Status: http.StatusNotFound, Code: "not_found", Problems: []string{"method " + r.Method + " not allowed on " + rec.Path + "; want " + want}}
	}
	rec.Endpoint, rec.TargetID = endpoint, id
	if !platformfake.CheckBearer(r.Header, f.opts.Token) {
		return &platformfake.Failure{Status: http.StatusUnauthorized, Code: "unauthorized", Problems: []string{"Access Token Invalid"}}
	}

	var p platformfake.Problems
	if r.Method != http.MethodGet { // a GET carries no body, so no Content-Type
		checkContentType(&p, r.Header.Get("Content-Type"))
	}
	if !platformfake.Accepts(r.Header.Get("Accept"), "application/json") {
		p.Addf("Accept %q does not admit application/json", r.Header.Get("Accept"))
	}
	version := r.Header.Get("Intercom-Version")
	switch {
	case f.opts.APIVersion != "" && version != f.opts.APIVersion:
		p.Addf("Intercom-Version %q: want %q", version, f.opts.APIVersion)
	case version != "" && !intercomVersions[version]:
		p.Addf("Intercom-Version %q is not a known version", version)
	}
	if r.Header.Get("User-Agent") == "" {
		p.Addf("no User-Agent")
	}
	if endpoint != EndpointTags && endpoint != EndpointTicketStates && (id == "" || id == "." || id == ".." || strings.Contains(id, "/")) {
		p.Addf("path id %q is not an id", id)
	}

	raw, err := io.ReadAll(io.LimitReader(r.Body, maxIntercomBody+1))
	switch {
	case err != nil:
		p.Addf("reading body: %v", err)
	case len(raw) > maxIntercomBody:
		p.Addf("body larger than %d bytes", maxIntercomBody)
	case r.Method == http.MethodGet:
		if len(raw) > 0 {
			p.Addf("GET %s takes no body", rec.Path)
		}
	default:
		rec.RawBody = raw
		if endpoint == EndpointConversationReply || endpoint == EndpointTicketReply {
			rec.Body = f.checkBody(&p, endpoint, id, raw)
		} else {
			rec.Body = f.checkActionBody(&p, endpoint, version, raw, rec.Time)
		}
	}
	if len(p) > 0 {
		return &platformfake.Failure{Status: http.StatusBadRequest, Code: "parameter_invalid", Problems: p}
	}
	if endpoint == EndpointTicketUpdate {
		return f.checkTicketState(rec.Body)
	}
	return nil
}

// checkContentType wants JSON in UTF-8.
func checkContentType(p *platformfake.Problems, ct string) {
	if mt, params := platformfake.MediaType(ct); mt != "application/json" {
		p.Addf("Content-Type %q: want application/json", ct)
	} else if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		p.Addf("Content-Type charset %q: want utf-8", cs)
	}
}

// Endpoints the fake knows, as Recorded.Endpoint names them.
const (
	EndpointConversationReply  = "conversation"        // POST /conversations/{id}/reply
	EndpointTicketReply        = "ticket"              // POST /tickets/{id}/reply
	EndpointTags               = "tags"                // POST /tags
	EndpointConversationTags   = "conversation_tags"   // POST /conversations/{id}/tags
	EndpointTicketTags         = "ticket_tags"         // POST /tickets/{id}/tags
	EndpointConversationParts  = "conversation_parts"  // POST /conversations/{id}/parts
	EndpointConversationUpdate = "conversation_update" // PUT /conversations/{id}
	EndpointTicketUpdate       = "ticket_update"       // PUT /tickets/{id}
	EndpointTicketStates       = "ticket_states"       // GET /ticket_states
)

// intercomPath names the endpoint of an escaped path and its target id.
func intercomPath(escaped string) (endpoint, id string, ok bool) {
	parts := strings.Split(escaped, "/")
	if len(parts) < 2 || parts[0] != "" {
		return "", "", false
	}
	if len(parts) == 2 {
		switch parts[1] {
		case "tags":
			return EndpointTags, "", true
		case "ticket_states":
			return EndpointTicketStates, "", true
		}
		return "", "", false
	}
	var conversation bool
	switch parts[1] {
	case "conversations":
		conversation = true
	case "tickets":
	default:
		return "", "", false
	}
	id, err := url.PathUnescape(parts[2])
	if err != nil {
		return "", "", false
	}
	pick := func(c, t string) string {
		if conversation {
			return c
		}
		return t
	}
	switch {
	case len(parts) == 3:
		return pick(EndpointConversationUpdate, EndpointTicketUpdate), id, true
	case len(parts) != 4:
		return "", "", false
	case parts[3] == "reply":
		return pick(EndpointConversationReply, EndpointTicketReply), id, true
	case parts[3] == "tags":
		return pick(EndpointConversationTags, EndpointTicketTags), id, true
	case parts[3] == "parts" && conversation:
		return EndpointConversationParts, id, true
	}
	return "", "", false
}

// endpointMethod is the one method each endpoint takes.
func endpointMethod(endpoint string) string {
	switch endpoint {
	case EndpointConversationUpdate, EndpointTicketUpdate:
		return http.MethodPut
	case EndpointTicketStates:
		return http.MethodGet
	}
	return http.MethodPost
}

func (f *intercomPlatform) Success(rec *platformfake.Recorded, n int64) []byte {
	if rec.Endpoint != EndpointConversationReply && rec.Endpoint != EndpointTicketReply {
		return f.actionSuccess(rec, n)
	}
	partID := strconv.FormatInt(1_000_000+n, 10)
	rec.ResponseID = partID
	now := rec.Time.Unix()

	messageType, _ := rec.Body["message_type"].(string)
	author := map[string]any{"type": "admin", "id": rec.Body["admin_id"]}
	if rec.Body["type"] == "user" {
		uid, _ := rec.Body["intercom_user_id"].(string)
		if uid == "" {
			uid = "contact-" + partID
		}
		author = map[string]any{"type": "user", "id": uid}
	}
	part := map[string]any{
		"id": partID, "part_type": messageType, "body": rec.Body["body"],
		"created_at": now, "updated_at": now, "author": author,
		"attachments": []any{}, "redacted": false,
	}
	if rec.Endpoint == "ticket" {
		part["type"] = "ticket_part"
		return platformfake.MustJSON(part)
	}
	part["type"] = "conversation_part"
	part["notified_at"] = now
	convID := rec.TargetID
	if convID == "last" {
		convID = strconv.FormatInt(2_000_000+n, 10)
	}
	return platformfake.MustJSON(map[string]any{
		"type": "conversation", "id": convID, "created_at": now, "updated_at": now,
		"open": true, "state": "open", "read": false,
		"conversation_parts": map[string]any{
			"type":               "conversation_part.list",
			"conversation_parts": []any{part},
			"total_count":        1,
		},
	})
}

func (f *intercomPlatform) ErrorBody(_ int, code, message string) []byte {
	return platformfake.MustJSON(map[string]any{
		"type":       "error.list",
		"request_id": platformfake.NewUUID(),
		"errors":     []any{map[string]any{"code": code, "message": message}},
	})
}

// Error is a scripted Intercom error.list answer.
func Error(status int, code, message string) platformfake.Response {
	return platformfake.Response{Status: status, Body: string(platformfake.MustJSON(map[string]any{
		"type":       "error.list",
		"request_id": platformfake.NewUUID(),
		"errors":     []any{map[string]any{"code": code, "message": message}},
	}))}
}
