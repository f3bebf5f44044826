package platformfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"time"
)

// maxWHMCSForm bounds what the fake reads of a form.
const maxWHMCSForm = 64 << 20

// WHMCSOptions configures the WHMCS fake.
type WHMCSOptions struct {
	// Token is the Bearer token every request must carry; empty accepts
	// any non-empty token.
	Token            string
	RateLimit        RateLimit
	Hook             Hook
	Now              func() time.Time
	DisableRecording bool
}

// WHMCS is a strict fake of a WHMCS-style reseller API's
// POST /add-ticket-reply and POST /add-ticket-note (multipart forms,
// Bearer token, {"result": ...} answers).
type WHMCS struct {
	*server
}

// NewWHMCS starts the fake; Close it when done.
func NewWHMCS(opts WHMCSOptions) *WHMCS {
	p := &whmcsPlatform{opts: opts}
	return &WHMCS{server: newServer(p, opts.RateLimit, opts.Hook, opts.Now, opts.DisableRecording)}
}

type whmcsPlatform struct {
	opts WHMCSOptions
}

func (*whmcsPlatform) name() string { return "whmcs" }

func (f *whmcsPlatform) check(r *http.Request, rec *Recorded) *failure {
	if r.Method != http.MethodPost {
		return &failure{status: http.StatusNotFound, problems: []string{"method " + r.Method + " not allowed; methods are POST"}}
	}
	switch rec.Path {
	case "/add-ticket-reply", "/add-ticket-note":
		rec.Endpoint = rec.Path[1:]
	default:
		return &failure{status: http.StatusNotFound, problems: []string{"no such method " + rec.Path}}
	}
	if !checkBearer(r.Header, f.opts.Token) {
		return &failure{status: http.StatusUnauthorized, problems: []string{"Authentication Failed"}}
	}

	var p problems
	form, err := readForm(r)
	if err != nil {
		p.addf("%v", err)
	} else {
		rec.Form = form
		rec.TargetID = form["ticketid"]
		rec.CustomFields, rec.Attachments = checkWHMCSForm(&p, rec.Endpoint, form)
	}
	if len(p) > 0 {
		return &failure{status: http.StatusBadRequest, problems: p}
	}
	return nil
}

// readForm reads a multipart form of plain fields: no files, no repeats.
func readForm(r *http.Request) (map[string]string, error) {
	mt, params := mediaType(r.Header.Get("Content-Type"))
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

func (f *whmcsPlatform) success(rec *Recorded, n int64) []byte {
	id := 3_000_000 + n
	rec.ResponseID = fmt.Sprint(id)
	key := "replyid"
	if rec.Endpoint == "add-ticket-note" {
		key = "noteid"
	}
	return mustJSON(map[string]any{"result": "success", key: id})
}

func (f *whmcsPlatform) errorBody(_ int, _, message string) []byte {
	return mustJSON(map[string]any{"result": "error", "message": message})
}

// WHMCSError is a scripted WHMCS error answer, e.g.
// WHMCSError(200, "Ticket ID Not Found") for an error reported with HTTP 200.
func WHMCSError(status int, message string) Response {
	return Response{Status: status, Body: string(mustJSON(map[string]any{"result": "error", "message": message}))}
}

// IntercomError is a scripted Intercom error.list answer.
func IntercomError(status int, code, message string) Response {
	return Response{Status: status, Body: string(mustJSON(map[string]any{
		"type":       "error.list",
		"request_id": newUUID(),
		"errors":     []any{map[string]any{"code": code, "message": message}},
	}))}
}

// decodeAttachments decodes the attachments field: base64 of JSON
// [{"name": ..., "data": "<base64>"}].
func decodeAttachments(v string) ([]File, error) {
	js, err := decodeBase64(v)
	if err != nil {
		return nil, err
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(js, &items); err != nil {
		return nil, fmt.Errorf("not a JSON array of objects: %w", err)
	}
	files := make([]File, 0, len(items))
	for n, it := range items {
		var p problems
		for k := range it {
			if k != "name" && k != "data" {
				p.addf("unknown key %q", k)
			}
		}
		name, _ := str(&p, it, "name", true)
		data, _ := str(&p, it, "data", true)
		if name == "" {
			p.addf("name is empty")
		}
		raw, err := decodeBase64(data)
		if err != nil {
			p.addf("data: %v", err)
		}
		if len(p) > 0 {
			return nil, fmt.Errorf("item %d: %s", n+1, joinProblems(p))
		}
		files = append(files, File{Name: name, Data: raw})
	}
	return files, nil
}
