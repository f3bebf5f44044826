package whmcsfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// maxWHMCSForm bounds what the fake reads of a form.
const maxWHMCSForm = 64 << 20

// Options configures the WHMCS fake.
type Options struct {
	// Token is the Bearer token every request must carry; empty accepts
	// any non-empty token.
	Token            string
	RateLimit        platformfake.RateLimit
	Hook             platformfake.Hook
	Now              func() time.Time
	DisableRecording bool
}

// Fake is a strict fake of a WHMCS-style reseller API's
// POST /add-ticket-reply and POST /add-ticket-note (multipart forms,
// Bearer token, {"result": ...} answers).
type Fake struct {
	*platformfake.Server
}

// New starts the fake; Close it when done.
func New(opts Options) *Fake {
	p := &whmcsPlatform{opts: opts}
	return &Fake{Server: platformfake.NewServer(p, opts.RateLimit, opts.Hook, opts.Now, opts.DisableRecording)}
}

type whmcsPlatform struct {
	opts Options
}

func (*whmcsPlatform) Name() string { return "whmcs" }

func (f *whmcsPlatform) Check(r *http.Request, rec *platformfake.Recorded) *platformfake.Failure {
	if r.Method != http.MethodPost {
		return &platformfake.Failure{Status: http.StatusNotFound, Problems: []string{"method " + r.Method + " not allowed; methods are POST"}}
	}
	switch rec.Path {
	case "/add-ticket-reply", "/add-ticket-note":
		rec.Endpoint = rec.Path[1:]
	default:
		return &platformfake.Failure{Status: http.StatusNotFound, Problems: []string{"no such method " + rec.Path}}
	}
	if !platformfake.CheckBearer(r.Header, f.opts.Token) {
		return &platformfake.Failure{Status: http.StatusUnauthorized, Problems: []string{"Authentication Failed"}}
	}

	var p platformfake.Problems
	form, err := readForm(r)
	if err != nil {
		p.Addf("%v", err)
	} else {
		rec.Form = form
		rec.TargetID = form["ticketid"]
		rec.CustomFields, rec.Attachments = checkWHMCSForm(&p, rec.Endpoint, form)
	}
	if len(p) > 0 {
		return &platformfake.Failure{Status: http.StatusBadRequest, Problems: p}
	}
	return nil
}

// readForm reads a multipart form of plain fields: no files, no repeats.
func readForm(r *http.Request) (map[string]string, error) {
	mt, params := platformfake.MediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, fmt.Errorf("Content-Type %q: want multipart/form-data with a boundary", r.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(io.LimitReader(r.Body, maxWHMCSForm), params["boundary"])
	form := map[string]string{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return form, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading form: %w", err)
		}
		name := part.FormName()
		switch {
		case name == "":
			return nil, errors.New("form part without a name")
		case part.FileName() != "":
			return nil, fmt.Errorf("form field %q is a file upload; attachments go base64 in the attachments field", name)
		}
		if _, dup := form[name]; dup {
			return nil, fmt.Errorf("form field %q sent twice", name)
		}
		value, err := io.ReadAll(part)
		if err != nil {
			return nil, fmt.Errorf("reading form field %q: %w", name, err)
		}
		form[name] = string(value)
	}
}

func (f *whmcsPlatform) Success(rec *platformfake.Recorded, n int64) []byte {
	id := 3_000_000 + n
	rec.ResponseID = fmt.Sprint(id)
	key := "replyid"
	if rec.Endpoint == "add-ticket-note" {
		key = "noteid"
	}
	return platformfake.MustJSON(map[string]any{"result": "success", key: id})
}

func (f *whmcsPlatform) ErrorBody(_ int, _, message string) []byte {
	return platformfake.MustJSON(map[string]any{"result": "error", "message": message})
}

// Error is a scripted WHMCS error answer, e.g.
// Error(200, "Ticket ID Not Found") for an error reported with HTTP 200.
func Error(status int, message string) platformfake.Response {
	return platformfake.Response{Status: status, Body: string(platformfake.MustJSON(map[string]any{"result": "error", "message": message}))}
}

// decodeAttachments decodes the attachments field: base64 of JSON
// [{"name": ..., "data": "<base64>"}].
func decodeAttachments(v string) ([]platformfake.File, error) {
	js, err := decodeBase64(v)
	if err != nil {
		return nil, err
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(js, &items); err != nil {
		return nil, fmt.Errorf("not a JSON array of objects: %w", err)
	}
	files := make([]platformfake.File, 0, len(items))
	for n, it := range items {
		var p platformfake.Problems
		for k := range it {
			if k != "name" && k != "data" {
				p.Addf("unknown key %q", k)
			}
		}
		name, _ := platformfake.StringField(&p, it, "name", true)
		data, _ := platformfake.StringField(&p, it, "data", true)
		if name == "" {
			p.Addf("name is empty")
		}
		raw, err := decodeBase64(data)
		if err != nil {
			p.Addf("data: %v", err)
		}
		if len(p) > 0 {
			return nil, fmt.Errorf("item %d: %s", n+1, platformfake.JoinProblems(p))
		}
		files = append(files, platformfake.File{Name: name, Data: raw})
	}
	return files, nil
}
