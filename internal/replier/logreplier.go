package replier

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/supportops/autoresponder/internal/event"
)

// KindLog is the Kind of the log replier.
const KindLog = "log"

// Log writes what would be sent as one JSON line per request and reports
// success. It lets people try the bot without a platform account, and it is
// what --dry-run sends to.
type Log struct {
	name string
	now  func() time.Time
	out  lineWriter
}

var _ Replier = (*Log)(nil)

// lineWriter writes one JSON line per request, never interleaved; the Log
// replier and the dry run print through it.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// write encodes v as one line. A failed write is retryable: the output
// (stdout, a file) may come back.
func (lw *lineWriter) write(v any) *Error {
	data, err := EncodeJSON(v)
	if err != nil {
		return &Error{Reason: ReasonInvalidRequest, Message: err.Error()}
	}
	data = append(data, '\n')
	lw.mu.Lock()
	_, err = lw.w.Write(data)
	lw.mu.Unlock()
	if err != nil {
		return &Error{Reason: ReasonNetwork, Retry: true, Message: "writing dry-run line: " + err.Error()}
	}
	return nil
}

// newLogLine is the line for req, its attachments summarised.
func newLogLine(at time.Time, replier, responseID string, req *Request) logLine {
	line := logLine{Time: at.UTC().Format(time.RFC3339Nano), Replier: replier, ResponseID: responseID, Request: req}
	for _, a := range req.Attachments {
		line.Attachments = append(line.Attachments, loggedAttachment{Name: a.Name, ContentType: a.ContentType, Bytes: len(a.Data)})
	}
	return line
}

// NewLog returns a replier writing to w (standard output when nil); name
// is the platform name the rules file uses for it.
func NewLog(name string, w io.Writer) *Log {
	if name == "" {
		name = KindLog
	}
	if w == nil {
		w = os.Stdout
	}
	return &Log{name: name, out: lineWriter{w: w}, now: time.Now}
}

// Name is the platform name.
func (l *Log) Name() string { return l.name }

// Kind implements Replier.
func (l *Log) Kind() string { return KindLog }

// Supports implements Replier: a log stands in for any platform, so it
// takes every reply kind to a conversation or a ticket (the rules loader
// checks kinds and fields against the platforms' tables).
func (l *Log) Supports(as, targetType string) bool {
	return as != "" && (targetType == event.TargetConversation || targetType == event.TargetTicket)
}

// logLine is the request as written: its platform-specific fields at the
// top level, by their keys, as the rule wrote them, and attachments
// summarised instead of dumped.
type logLine struct {
	Time       string
	Replier    string
	ResponseID string
	Request    *Request
	// Attachments replaces Request.Attachments.
	Attachments []loggedAttachment
	// HTTP is the request a dry run stopped.
	HTTP *HTTPRequest
}

// MarshalJSON writes the line's members, then the request's, then its
// fields.
func (l logLine) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"time": l.Time, "replier": l.Replier, "dry_run": true, "response_id": l.ResponseID,
		"v": l.Request.V, "platform": l.Request.Platform, "as": l.Request.As, "target": l.Request.Target,
	}
	if l.Request.Body != "" {
		m["body"] = l.Request.Body
	}
	if l.Request.Action != "" {
		m["action"] = l.Request.Action
	}
	if len(l.Attachments) > 0 {
		m["attachments"] = l.Attachments
	}
	if l.HTTP != nil {
		m["http"] = l.HTTP
	}
	for k, v := range l.Request.Fields {
		if _, taken := m[k]; !taken {
			m[k] = v.Plain()
		}
	}
	return EncodeJSON(m)
}

type loggedAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type,omitempty"`
	Bytes       int    `json:"bytes"`
}

// Send implements Replier.
func (l *Log) Send(_ context.Context, req *Request) (Result, error) {
	if req == nil {
		return Result{}, &Error{Reason: ReasonInvalidRequest, Message: "nil request"}
	}
	// An action request (tag, status, notify...) has no reply kind: a log
	// prints it like a reply, so --dry-run shows every step of a rule and
	// a log platform stands in for one that acts.
	if req.Action == "" && !l.Supports(req.As, req.Target.Type) ||
		req.Action != "" && !l.Supports(req.Action, req.Target.Type) {
		return Result{}, &Error{Reason: ReasonInvalidRequest, Message: fmt.Sprintf("unknown reply kind %q or target type %q", req.As+req.Action, req.Target.Type)}
	}
	if req.Target.ID == "" {
		return Result{}, &Error{Reason: ReasonInvalidRequest, Message: "target id is empty"}
	}
	id := randomID()
	if err := l.out.write(newLogLine(l.now(), l.name, id, req)); err != nil {
		return Result{}, err
	}
	return Result{ResponseID: id}, nil
}

// randomID makes a response id that is unique across restarts too.
func randomID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return "dry-run-" + hex.EncodeToString(b[:])
}

// EncodeJSON marshals without HTML escaping: bodies are often HTML and
// read better in logs, fakes and dry runs as they are. It lives here, the
// lowest package that needs it (httpapi imports replier);
// httpapi.EncodeJSON is the same function for the platforms.
func EncodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
