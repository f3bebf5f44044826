package whmcs

// The stock WHMCS External API (`api: whmcs` on a whmcs account): every
// call is POST {base_url}/includes/api.php, form-encoded, with the action,
// the API credential (identifier + secret, optionally the accesskey that
// bypasses the IP allow-list) and responsetype=json in the form. WHMCS
// answers {"result":"success",...} or {"result":"error","message":"..."},
// usually with HTTP 200, so the body decides before the status does.
//
// Facts: ../shared/reference/PLATFORMS-NEXT.md §2 (AddTicketReply,
// AddTicketNote, authentication, access control).

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// Account settings `api: whmcs` reads. The secrets are SettingSecret keys
// (written identifier_env / identifier_file and so on); admin_username is
// a SettingString.
const (
	stockSettingIdentifier    = "identifier"     // API credential identifier (required)
	stockSettingSecret        = "secret"         // API credential secret (required)
	stockSettingAccessKey     = "accesskey"      // $api_access_key of configuration.php (optional)
	stockSettingAdminUsername = "admin_username" // the admin a comment is posted as when the rule names nobody (required)
)

// The actions the stock client calls.
const (
	stockActionReply = "AddTicketReply"
	stockActionNote  = "AddTicketNote"
)

// stockCapabilities are the rows of the one capability table (the Spec's):
// both APIs post the same kinds with the same fields. AddTicketReply takes
// markdown, the attribution fields, status, noemail, customfields and
// attachments; AddTicketNote only markdown and attachments. Both go to
// tickets by their database id.
var stockCapabilities = newSpec().Capabilities

// stockReplier posts to one stock WHMCS installation.
type stockReplier struct {
	name     string
	endpoint string // {base_url}/includes/api.php
	// auth is the identifier, secret and (when configured) accesskey,
	// added to every form.
	auth []stockParam
	// adminUsername attributes a comment whose rule names nobody.
	adminUsername string
	client        *httpapi.Client
	// spec is the action table requests are checked against.
	spec *platform.Spec
}

var _ replier.Replier = (*stockReplier)(nil)

// newStockReplier builds the client of an `api: whmcs` account. Errors
// name the setting at fault and never quote a secret.
func newStockReplier(a *platform.Account) (replier.Replier, error) {
	if a == nil {
		return nil, errors.New("whmcs (api: whmcs): no account")
	}
	wrap := func(err error) error { return fmt.Errorf("whmcs %q (api: whmcs): %w", a.Name, err) }

	endpoint, err := stockEndpoint(a.BaseURL)
	if err != nil {
		return nil, wrap(err)
	}
	admin := strings.TrimSpace(a.Settings.Get(stockSettingAdminUsername))
	if admin == "" {
		return nil, wrap(errors.New("admin_username is required: WHMCS refuses a reply that names no admin, client or sender"))
	}

	r := &stockReplier{name: a.Name, endpoint: endpoint, adminUsername: admin, spec: newSpec()}
	var secrets []string
	read := func(key string) error {
		if a.Secret == nil {
			return fmt.Errorf("%s: no secret reader", key)
		}
		raw, err := a.Secret(key)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		v := string(raw)
		if err := httpapi.CheckSecret(key, v); err != nil {
			return err
		}
		if key == stockSettingAccessKey {
			if err := stockCheckAccessKey(v); err != nil {
				return err
			}
		}
		r.auth = append(r.auth, stockParam{key, v})
		// The form carries the secrets URL-encoded; an echo of the
		// request could quote either spelling.
		secrets = append(secrets, v, stockFormEscape(v))
		return nil
	}
	for _, key := range []string{stockSettingIdentifier, stockSettingSecret} {
		if err := read(key); err != nil {
			return nil, wrap(err)
		}
	}
	if a.Settings.Has(stockSettingAccessKey) {
		if err := read(stockSettingAccessKey); err != nil {
			return nil, wrap(err)
		}
	}

	r.client, err = httpapi.New(httpapi.Config{
		HTTPClient: a.Client,
		Timeout:    a.Timeout,
		Secrets:    secrets,
		Now:        a.Now,
	})
	if err != nil {
		return nil, wrap(err)
	}
	return r, nil
}

// stockEndpoint is {base_url}/includes/api.php. base_url is the WHMCS
// root (where the client area is); a base_url that already names
// includes/api.php is taken as it is, since that is what WHMCS's own docs
// show as "the API URL".
func stockEndpoint(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("base_url is required: the address of the WHMCS installation, e.g. https://billing.example.com")
	}
	base, err := httpapi.ParseBaseURL(raw)
	if err != nil {
		return "", err
	}
	if strings.HasSuffix(base.Path, "/includes/api.php") {
		base.Path = strings.TrimSuffix(base.Path, "/includes/api.php")
		base.RawPath = ""
	}
	return httpapi.EndpointURL(base, "includes", "api.php")
}

// stockCheckAccessKey applies WHMCS's rule for $api_access_key: letters,
// digits and ! @ # $ % . ( ) * [ ] - _ only. The key is never quoted.
func stockCheckAccessKey(v string) error {
	for _, c := range v {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.ContainsRune("!@#$%.()*[]-_", c):
		default:
			return errors.New("accesskey contains a character WHMCS does not allow (letters, digits and ! @ # $ % . ( ) * [ ] - _ only)")
		}
	}
	return nil
}

// Kind implements replier.Replier.
func (r *stockReplier) Kind() string { return "whmcs" }

// Supports implements replier.Replier from stockCapabilities, so the two
// cannot disagree.
func (r *stockReplier) Supports(as, targetType string) bool {
	for _, c := range stockCapabilities {
		if c.As == as && c.Target == targetType {
			return true
		}
	}
	return false
}

// Send implements replier.Replier: one call, never retried here. An
// action request goes to UpdateTicket (stock_action.go).
func (r *stockReplier) Send(ctx context.Context, req *replier.Request) (replier.Result, error) {
	if req == nil {
		return replier.Result{}, r.client.InvalidRequest("nil request")
	}
	if req.Action != "" {
		return r.sendAction(ctx, req)
	}
	action, params, err := stockForm(req, r.adminUsername)
	if err != nil {
		return replier.Result{}, r.client.InvalidRequest("%s to ticket %s: %v", req.As, req.Target.ID, err)
	}
	body := stockEncode(action, r.auth, params)
	resp, e := r.client.Do(ctx, httpapi.Request{
		URL:         r.endpoint,
		ContentType: "application/x-www-form-urlencoded",
		Body:        body,
	})
	if e != nil {
		return replier.Result{}, e
	}
	res, e := r.result(action, resp)
	if e != nil {
		return replier.Result{}, e
	}
	return res, nil
}
