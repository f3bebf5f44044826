package freshdesk

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
)

// Intake credential headers. Freshdesk sends the automation rule's "Requires
// authentication" user name and password as HTTP Basic; a proxy in front of
// the bot may send the token header instead.
const (
	HeaderAuthorization = "Authorization"
	HeaderToken         = "X-Autoresponder-Token"
)

// basicUser is the user name Sign puts in the Basic credentials; Verify
// accepts any.
const basicUser = "freshdesk"

// maxCredentialBytes bounds a credential header before it is decoded: no
// allocation is sized by what an unauthenticated sender wrote.
const maxCredentialBytes = 4096

// The refusals, allocated once.
var (
	errNoCredentials = &platform.SignatureError{Reason: "neither an Authorization (HTTP Basic) nor an " + HeaderToken + " header"}
	errAuthMultiple  = &platform.SignatureError{Reason: "more than one Authorization header"}
	errTokenMultiple = &platform.SignatureError{Reason: "more than one " + HeaderToken + " header"}
	errAuthTooLong   = &platform.SignatureError{Reason: "Authorization header too long"}
	errTokenTooLong  = &platform.SignatureError{Reason: HeaderToken + " header too long"}
	errNotBasic      = &platform.SignatureError{Reason: "Authorization is not HTTP Basic"}
	errBasicFormat   = &platform.SignatureError{Reason: "Authorization Basic credentials are not base64 of user:password"}
	errTokenEmpty    = &platform.SignatureError{Reason: HeaderToken + " header is empty"}
	errBasicMismatch = &platform.SignatureError{Reason: "Basic auth password does not match the source's secret"}
	errTokenMismatch = &platform.SignatureError{Reason: HeaderToken + " does not match the source's secret"}
)

// Verify checks the delivery's credentials: the Basic password or the
// X-Autoresponder-Token equals the secret. Every credential present must
// match, so a wrong one is never outvoted by a right one. Freshdesk signs
// nothing, so the body is not covered: keep the secret long and the
// endpoint on HTTPS.
//
// The credentials' form is checked before the secret: a source without a
// secret refuses everything with platform.ErrNoSecret, which the intake
// counts as no_secret (a misconfigured source), while a request without
// credentials stays a bad signature.
func (Platform) Verify(d *platform.Delivery) error {
	auth, token := d.Header.Values(HeaderAuthorization), d.Header.Values(HeaderToken)
	switch {
	case len(auth) == 0 && len(token) == 0:
		return errNoCredentials
	case len(auth) > 1:
		return errAuthMultiple
	case len(token) > 1:
		return errTokenMultiple
	}
	var password []byte
	if len(auth) == 1 {
		var err error
		if password, err = basicPassword(auth[0]); err != nil {
			return err
		}
	}
	if len(token) == 1 {
		switch {
		case token[0] == "":
			return errTokenEmpty
		case len(token[0]) > maxCredentialBytes:
			return errTokenTooLong
		}
	}
	if len(d.Secret) == 0 {
		return platform.ErrNoSecret
	}
	if len(auth) == 1 && !equalSecret(password, d.Secret) {
		return errBasicMismatch
	}
	if len(token) == 1 && !equalSecret([]byte(token[0]), d.Secret) {
		return errTokenMismatch
	}
	return nil
}

// basicPassword reads the password of "Basic base64(user:password)"; the
// scheme is case-insensitive (RFC 7617).
func basicPassword(v string) ([]byte, error) {
	if len(v) > maxCredentialBytes {
		return nil, errAuthTooLong
	}
	const scheme = "basic "
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return nil, errNotBasic
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v[len(scheme):]))
	if err != nil {
		return nil, errBasicFormat
	}
	i := strings.IndexByte(string(raw), ':')
	if i < 0 {
		return nil, errBasicFormat
	}
	return raw[i+1:], nil
}

// equalSecret compares in constant time, and hashes first so that neither
// the secret's length nor its prefix can be learned from timing.
func equalSecret(got, secret []byte) bool {
	a, b := sha256.Sum256(got), sha256.Sum256(secret)
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// Sign returns what a Freshdesk automation rule with "Requires
// authentication" sends: Basic credentials whose password is the secret.
// The body and the time are not covered.
func (Platform) Sign(secret, _ []byte, _ time.Time, _ *platform.Settings) http.Header {
	h := http.Header{}
	h.Set(HeaderAuthorization, BasicAuth(basicUser, string(secret)))
	return h
}

// BasicAuth is the Authorization value of HTTP Basic credentials.
func BasicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}
