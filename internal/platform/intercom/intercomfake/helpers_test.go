package intercomfake

import "net/http"

const (
	testToken   = "fake-token-123"
	testAdminID = "991267696"
	testVersion = "2.16"
)

// intercomHeader is what a well-behaved client sends.
func intercomHeader() http.Header {
	return http.Header{
		"Authorization":    {"Bearer " + testToken},
		"Content-Type":     {"application/json"},
		"Accept":           {"application/json"},
		"Intercom-Version": {testVersion},
		"User-Agent":       {"test"},
	}
}
