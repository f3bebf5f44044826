package whmcsfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// stockMaxForm bounds what the fake reads of one request.
const stockMaxForm = 64 << 20

// Parameters every call carries, and each action's own (AddTicketReply,
// AddTicketNote in the External API reference).
var (
	stockCommon        = []string{"action", "identifier", "secret", "accesskey", "responsetype"}
	stockActionsParams = map[string][]string{
		"AddTicketReply": {
			"ticketid", "message", "markdown", "clientid", "contactid", "adminusername",
			"name", "email", "status", "noemail", "customfields", "attachments", "created",
		},
		"AddTicketNote": {"ticketid", "ticketnum", "message", "markdown", "attachments", "created"},
		"UpdateTicket": {
			"ticketid", "status", "priority", "deptid", "flag", "removeFlag", "subject", "message", "markdown",
			"cc", "userid", "name", "email", "created", "customfields", "preventClientClosure",
		},
	}
)

// stockExpect is the installation's configuration for one request.
type stockExpect struct {
	accessKey  string
	authStatus int
	remoteIP   string
}

// stockRefusal is the answer to a request the strict checks refused.
type stockRefusal struct {
	status  int
	header  http.Header
	message string // what WHMCS says
	// page, when set, is sent instead of WHMCS's JSON (the web server's
	// own 404 page).
	page     string
	problems []string
}

// stockChecks collects problems; the first one that WHMCS has its own
// message for decides the answer.
type stockChecks struct {
	problems []string
	message  string
}

func (c *stockChecks) fail(whmcsMessage, format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
	if c.message == "" {
		c.message = whmcsMessage
	}
}

func (c *stockChecks) refusal(status int) *stockRefusal {
	if len(c.problems) == 0 {
		return nil
	}
	return &stockRefusal{status: status, message: c.message, problems: c.problems}
}

// stockParse checks one request from the transport to the parameters.
func stockParse(r *http.Request, want stockExpect) (*StockCall, *stockRefusal) {
	var c stockChecks
	if r.URL.Path != "/includes/api.php" {
		c.fail("Not Found", "path %q: the External API is /includes/api.php", r.URL.Path)
		ref := c.refusal(http.StatusNotFound)
		ref.header = http.Header{"Content-Type": {"text/html; charset=utf-8"}}
		ref.page = "<html><body><h1>404 Not Found</h1></body></html>"
		return nil, ref
	}
	if r.Method != http.MethodPost {
		c.fail("fake: POST only", "method %s: the External API is called with POST", r.Method)
		return nil, c.refusal(http.StatusMethodNotAllowed)
	}
	if r.URL.RawQuery != "" {
		c.fail("fake: no query string", "query string on the URL: parameters and credentials go in the form body, not in logged URLs")
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		c.fail("fake: form-encoded body expected", "Content-Type %q: want application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, stockMaxForm+1))
	switch {
	case err != nil:
		c.fail("fake: unreadable body", "reading body: %v", err)
	case len(raw) > stockMaxForm:
		c.fail("fake: body too large", "body larger than %d bytes", stockMaxForm)
	}
	if ref := c.refusal(http.StatusBadRequest); ref != nil {
		return nil, ref
	}
	values, err := url.ParseQuery(string(raw))
	if err != nil {
		c.fail("fake: malformed form", "form does not parse: %v", err)
		return nil, c.refusal(http.StatusBadRequest)
	}
	form := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if len(values[k]) > 1 {
			c.fail("fake: parameter sent twice", "parameter %q sent %d times", k, len(values[k]))
		}
		form[k] = values[k][0]
	}
	if form["responsetype"] != "json" {
		c.fail("fake: responsetype", "responsetype %q: want json (WHMCS would answer in another format)", form["responsetype"])
	}
	if ref := c.refusal(http.StatusOK); ref != nil {
		return nil, ref
	}

	if ref := stockAuth(form, want); ref != nil {
		return nil, ref
	}

	action := form["action"]
	known, ok := stockActionsParams[action]
	if !ok {
		c.fail("Command Not Found", "action %q: the bot calls AddTicketReply, AddTicketNote or UpdateTicket", action)
		return nil, c.refusal(http.StatusOK)
	}
	for _, k := range slices.Sorted(maps.Keys(form)) {
		if !slices.Contains(stockCommon, k) && !slices.Contains(known, k) {
			c.fail("fake: unknown parameter", "parameter %q is not one %s takes", k, action)
		}
	}
	call := &StockCall{Action: action, Params: map[string]string{}, Body: string(raw)}
	for k, v := range form {
		if !slices.Contains(stockCommon, k) {
			call.Params[k] = v
		}
	}
	switch action {
	case "AddTicketReply":
		stockCheckReply(&c, form, call)
	case "AddTicketNote":
		stockCheckNote(&c, form, call)
	default:
		stockCheckUpdate(&c, form, call)
	}
	if ref := c.refusal(http.StatusOK); ref != nil {
		return nil, ref
	}
	return call, nil
}

// stockAuth is the access control: the IP allow-list (bypassed by the
// access key) first, then the API credential. Problems never quote a
// secret.
func stockAuth(form map[string]string, want stockExpect) *stockRefusal {
	var c stockChecks
	key, sent := form["accesskey"]
	switch {
	case want.accessKey != "" && key != want.accessKey:
		c.fail("Invalid IP "+want.remoteIP, "accesskey missing or wrong, and the bot's address is not on the allow-list")
	case want.accessKey == "" && sent:
		c.fail("fake: unexpected accesskey", "accesskey sent, but this installation sets no $api_access_key")
	}
	if ref := c.refusal(want.authStatus); ref != nil {
		return ref
	}
	if form["identifier"] != StockIdentifier || form["secret"] != StockSecret {
		c.fail("Authentication Failed", "identifier or secret missing or not the API credential's")
	}
	return c.refusal(want.authStatus)
}

func stockCheckReply(c *stockChecks, form map[string]string, call *StockCall) {
	stockCheckTicketID(c, form["ticketid"])
	stockCheckMessage(c, form)
	stockCheckBools(c, form, "markdown", "noemail")
	for _, k := range []string{"adminusername", "name", "email", "status", "clientid", "contactid"} {
		if v, ok := form[k]; ok && strings.TrimSpace(v) == "" {
			c.fail("fake: empty parameter", "%s is sent empty; leave it out", k)
		}
	}

	client, hasClient := form["clientid"]
	contact, hasContact := form["contactid"]
	_, hasAdmin := form["adminusername"]
	_, hasName := form["name"]
	email, hasEmail := form["email"]
	if hasClient && !stockDigits(client) {
		c.fail("Client ID Not Found", "clientid %q is not a number", client)
	}
	if hasContact && !stockDigits(contact) {
		c.fail("Contact ID Not Found", "contactid %q is not a number", contact)
	}
	if hasContact && !hasClient {
		c.fail("Contact ID Not Found", "contactid without clientid: a contact belongs to a client")
	}
	switch {
	case hasAdmin && (hasClient || hasName || hasEmail):
		c.fail("fake: ambiguous sender", "adminusername together with clientid, name or email: who is the reply from?")
	case !hasAdmin && !hasClient && (!hasName || !hasEmail):
		c.fail("Name and email address are required if not a client", "no adminusername, no clientid, and not both name and email")
	}
	if hasEmail {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
			c.fail("Email Address Invalid", "email %q is not an address", email)
		}
	}
	if v, ok := form["status"]; ok && !slices.Contains(StockStatuses, v) {
		c.fail("Invalid Ticket Status", "status %q is not one of %q", v, StockStatuses)
	}
	if v, ok := form["customfields"]; ok {
		m, err := stockDecodeCustomFields(v)
		if err != nil {
			c.fail("fake: customfields", "customfields: %v", err)
		}
		call.CustomFields = m
	}
	stockCheckCommon(c, form, call)
}

func stockCheckNote(c *stockChecks, form map[string]string, call *StockCall) {
	id, hasID := form["ticketid"]
	num, hasNum := form["ticketnum"]
	switch {
	case hasID == hasNum:
		c.fail("Ticket ID Not Found", "want exactly one of ticketid, ticketnum")
	case hasID:
		stockCheckTicketID(c, id)
	case strings.TrimSpace(num) == "":
		c.fail("Ticket ID Not Found", "ticketnum is empty")
	}
	stockCheckMessage(c, form)
	stockCheckBools(c, form, "markdown")
	stockCheckCommon(c, form, call)
}

// stockCheckCommon checks the parameters both actions take.
func stockCheckCommon(c *stockChecks, form map[string]string, call *StockCall) {
	if v, ok := form["attachments"]; ok {
		files, err := stockDecodeAttachments(v)
		if err != nil {
			c.fail("fake: attachments", "attachments: %v", err)
		}
		call.Attachments = files
	}
	if v, ok := form["created"]; ok {
		_, err1 := time.Parse(time.DateTime, v)
		_, err2 := time.Parse(time.RFC3339, v)
		if err1 != nil && err2 != nil {
			c.fail("Invalid Date Format", "created %q: want YYYY-MM-DD HH:mm:ss or ISO 8601", v)
		}
	}
}

func stockCheckTicketID(c *stockChecks, id string) {
	if !stockDigits(id) {
		c.fail("Ticket ID Not Found", "ticketid %q is not a number (the database id, not the mask)", id)
	}
}

func stockCheckMessage(c *stockChecks, form map[string]string) {
	if strings.TrimSpace(form["message"]) == "" {
		c.fail("Message is required", "message is missing or blank")
	}
}

// stockCheckBools accepts what PHP reads as intended; "false" is refused
// because PHP reads every non-empty string but "0" as true.
func stockCheckBools(c *stockChecks, form map[string]string, keys ...string) {
	for _, k := range keys {
		v, ok := form[k]
		if !ok {
			continue
		}
		switch v {
		case "1", "0", "true":
		case "false":
			c.fail("fake: boolean", `%s "false" reads as true in PHP; send 1 or leave it out`, k)
		default:
			c.fail("fake: boolean", "%s %q: want 1 or 0", k, v)
		}
	}
}

// stockDecodeCustomFields decodes base64 of a PHP-serialized array keyed
// by custom field id.
func stockDecodeCustomFields(v string) (map[string]string, error) {
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	m, err := phpUnserialize(string(raw))
	if err != nil {
		return nil, err
	}
	for k := range m {
		if n, err := strconv.ParseInt(k, 10, 64); err != nil || n <= 0 {
			return nil, fmt.Errorf("key %q is not a custom field id", k)
		}
	}
	return m, nil
}

// stockDecodeAttachments decodes base64 of JSON [{"name","data"}], data
// base64 too.
func stockDecodeAttachments(v string) ([]StockFile, error) {
	js, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(js, &items); err != nil {
		return nil, fmt.Errorf("not a JSON array of objects: %w", err)
	}
	files := make([]StockFile, 0, len(items))
	for n, it := range items {
		var name, data string
		for k, raw := range it {
			var err error
			switch k {
			case "name":
				err = json.Unmarshal(raw, &name)
			case "data":
				err = json.Unmarshal(raw, &data)
			default:
				err = fmt.Errorf("unknown key %q", k)
			}
			if err != nil {
				return nil, fmt.Errorf("item %d: %s: %w", n+1, k, err)
			}
		}
		if name == "" {
			return nil, fmt.Errorf("item %d: name is missing or empty", n+1)
		}
		if _, ok := it["data"]; !ok {
			return nil, fmt.Errorf("item %d: data is missing", n+1)
		}
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, fmt.Errorf("item %d: data is not base64: %w", n+1, err)
		}
		files = append(files, StockFile{Name: name, Data: b})
	}
	return files, nil
}

func stockDigits(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
