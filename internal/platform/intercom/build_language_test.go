package intercom_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/intercom"
)

// TestBuildContactLanguage: contact notifications carry the contact, with
// the language set for it (language_override) or its browser's; that is
// the event's language. Conversation notifications name contacts by id
// only, so they have none.
func TestBuildContactLanguage(t *testing.T) {
	contact := func(fields string) string {
		return `{"type":"notification_event","topic":"contact.user.created","id":"notif_1","created_at":1772442867,
"data":{"item":{"type":"contact","id":"6762f0dd1bb69f9f2193bb83","role":"user","email":"ana@example.com"` + fields + `}}}`
	}
	cases := []struct {
		name, body, want string
	}{
		{"browser language", contact(`,"browser_language":"pt-BR","language_override":null`), "pt"},
		{"the override wins", contact(`,"browser_language":"en-US","language_override":"de"`), "de"},
		{"neither", contact(`,"browser_language":null,"language_override":null`), ""},
		{"not a language", contact(`,"browser_language":"klingon"`), ""},
		{"a conversation", `{"type":"notification_event","topic":"conversation.user.created","id":"notif_2","created_at":1772442867,
"data":{"item":{"type":"conversation","id":"1","contacts":{"type":"contact.list","contacts":[{"type":"contact","id":"c1"}]},"source":{"type":"conversation","id":"m1","body":"<p>Guten Tag</p>","author":{"type":"user","id":"c1"}}}}}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
			d := &platform.Delivery{Header: http.Header{}, Body: []byte(tc.body), Settings: &platform.Settings{}, Now: now}
			ev, err := platform.Parse(intercom.New(), "intercom", d, now)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if ev.Language != tc.want {
				t.Errorf("language = %q, want %q", ev.Language, tc.want)
			}
		})
	}
}
