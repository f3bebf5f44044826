package rules

import (
	"strings"
	"testing"
)

// TestCrossPostOnAConversationNoteIsRefused: a conversation note with
// cross_post passed `bot check --strict` and dead-lettered on every send;
// the table says cross_post is for ticket notes only, and the loader says
// so at the key.
func TestCrossPostOnAConversationNoteIsRefused(t *testing.T) {
	_, err := Load([]byte(header+`  - name: a
    source: intercom
    when: "true"
    reply:
      as: note
      body: hi
      to: {type: conversation, id: "1"}
      cross_post: true
`), "rules.yaml", Options{Platforms: testRegistry})
	want := `rules.yaml:26:19: rule "a": reply.cross_post only applies to note to a ticket
   26 |       cross_post: true
                          ^`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, want)
	}
	// On a ticket it is what Intercom takes.
	mustLoad(t, header+`  - name: a
    source: intercom
    when: "true"
    reply: {as: note, body: hi, to: {type: ticket, id: "1"}, cross_post: true}
`)
}

// TestAFieldKeyOfTwoPlatformsIsCheckedByEach: two platforms may declare
// the same reply key with their own rules (WHMCS's status is free text,
// another platform's an enum); a rule is held to its own platform's.
func TestAFieldKeyOfTwoPlatformsIsCheckedByEach(t *testing.T) {
	mustLoad(t, header+`  - name: a
    source: whmcs
    when: "true"
    reply: {as: comment, body: hi, status: In Progress}
`)
	for _, p := range testRegistry.All() {
		for _, f := range p.Spec().ReplyFields {
			if f.Key != "status" || len(f.Enum) == 0 {
				continue
			}
			kind := p.Spec().Name
			_, err := Load([]byte(strings.ReplaceAll(header, "kind: whmcs", "kind: "+kind)+`  - name: a
    source: whmcs
    when: "true"
    reply: {as: comment, body: hi, status: In Progress}
`), "rules.yaml", Options{Platforms: testRegistry})
			if err == nil || !strings.Contains(err.Error(), "reply.status must be") {
				t.Errorf("%s: status outside its enum: %v", kind, err)
			}
		}
	}
}
