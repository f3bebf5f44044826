package whmcsfake

import "net/http"

const testToken = "fake-token-123"

// whmcsHeader is what a well-behaved client sends with a body of contentType.
func whmcsHeader(contentType string) http.Header {
	return http.Header{"Authorization": {"Bearer " + testToken}, "Content-Type": {contentType}}
}
