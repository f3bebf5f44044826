package helpscoutfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// tokenKeys are the form keys of a client-credentials token request.
var tokenKeys = []string{"grant_type", "client_id", "client_secret"}

// serveToken is POST /v2/oauth2/token, client-credentials grant only, form
// encoded (Help Scout refuses JSON there).
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, body []byte) {
	const what = "token request"
	if r.Method != http.MethodPost {
		s.refuse(w, http.StatusMethodNotAllowed, what, []fieldError{{Message: "method " + r.Method + ", want POST"}})
		return
	}
	if mt := mediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		s.refuse(w, http.StatusBadRequest, what, []fieldError{{Message: "Content-Type " + r.Header.Get("Content-Type") + ", want application/x-www-form-urlencoded"}})
		return
	}
	if r.Header.Get("Authorization") != "" {
		s.refuse(w, http.StatusBadRequest, what, []fieldError{{Message: "the credentials go in the form, not in Authorization"}})
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.refuse(w, http.StatusBadRequest, what, []fieldError{{Message: "the body is not a form: " + err.Error()}})
		return
	}
	var errs []fieldError
	for k, vs := range form {
		switch {
		case !slices.Contains(tokenKeys, k):
			errs = append(errs, fieldError{Path: k, Message: "unknown parameter"})
		case len(vs) != 1:
			errs = append(errs, fieldError{Path: k, Message: "given more than once"})
		}
	}
	for _, k := range tokenKeys {
		if form.Get(k) == "" {
			errs = append(errs, fieldError{Path: k, Message: "missing"})
		}
	}
	if len(errs) > 0 {
		s.refuse(w, http.StatusBadRequest, what, errs)
		return
	}
	if g := form.Get("grant_type"); g != "client_credentials" {
		s.refuseOAuth(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type "+g+" is not client_credentials")
		return
	}
	if form.Get("client_id") != AppID || form.Get("client_secret") != AppSecret {
		s.refuseOAuth(w, http.StatusUnauthorized, "invalid_client", "Bad client credentials")
		return
	}

	s.mu.Lock()
	s.tokenRequests++
	s.mu.Unlock()
	if a, ok := s.answerQueued(&s.tokenAnswers); ok && a.status != 0 {
		writeJSONAnswer(w, a)
		return
	}
	token := randomToken()
	s.mu.Lock()
	lifetime := s.tokenLifetime
	s.tokens[token] = time.Now().Add(lifetime)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"token_type": "bearer", "access_token": token, "expires_in": int64(lifetime / time.Second),
	})
}

// refuseOAuth answers the token endpoint's refusals in OAuth2's error
// shape (RFC 6749 section 5.2) and records them.
func (s *Server) refuseOAuth(w http.ResponseWriter, status int, code, description string) {
	s.mu.Lock()
	s.problems = append(s.problems, "token request: "+code+": "+description)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

func writeJSONAnswer(w http.ResponseWriter, a answer) {
	w.Header().Set("Content-Type", "application/json")
	copyHeader(w.Header(), a.header)
	w.WriteHeader(a.status)
	w.Write([]byte(a.body))
}

// tokenState says whether a bearer token was issued and is still valid.
func (s *Server) tokenState(token string) (issued, valid bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[token]
	return ok, ok && time.Now().Before(exp)
}
