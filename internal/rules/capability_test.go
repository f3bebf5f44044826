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

// TestAReplyWithoutToIsCheckedOnEveryTargetOfTheEvent: without reply.to a
// reply goes to the event's own target, which on Intercom may be a
// conversation or a ticket. A cross_post note fits only tickets, so every
// event on a conversation would dead-letter: a warning at the key (the
// condition may let only tickets through), which --strict fails.
func TestAReplyWithoutToIsCheckedOnEveryTargetOfTheEvent(t *testing.T) {
	rs := mustLoad(t, header+`  - name: a
    source: intercom
    when: "true"
    once: true
    reply:
      as: note
      body: hi
      cross_post: true
`)
	want := `rules.yaml:26:19: rule "a": without reply.to the reply goes to the event's own target, which may be a conversation, ` +
		`and platform "intercom" (intercom) takes no reply.cross_post on a note to it: set reply.to ` +
		`(e.g. {type: ticket, id: "{{ target.id }}"}) if the rule only sees those
   26 |       cross_post: true
                          ^`
	ws := rs.Lint()
	if len(ws) != 1 || !strings.Contains(ws[0].String(), want) {
		t.Fatalf("warnings: %v\nwant exactly one containing:\n%s", ws, want)
	}
	// Naming the event's ticket is what Intercom takes; so is a note
	// without cross_post, which both targets take.
	for _, reply := range []string{
		`{as: note, body: hi, cross_post: true, to: {type: ticket, id: "{{ target.id }}"}}`,
		`{as: note, body: hi}`,
	} {
		if ws := mustLoad(t, header+"  - {name: a, source: intercom, when: \"true\", once: true, reply: "+reply+"}\n").Lint(); len(ws) > 0 {
			t.Errorf("%s: %v", reply, ws)
		}
	}
}

// TestStockWHMCSCustomFieldsAreIDs: WHMCS's own API looks custom fields up
// by their numeric id, and the api: whmcs client refuses any other key, so
// a rule with one passed --strict and dead-lettered on every send. The
// loader refuses it at the key; the reseller API (api: keliweb) forwards
// keys as they are, as it always did.
func TestStockWHMCSCustomFieldsAreIDs(t *testing.T) {
	stock := strings.Replace(header, "    token_env: WT\n",
		"    api: whmcs\n    identifier_env: I\n    secret_env: S2\n    admin_username: bot\n", 1)
	rule := `  - name: a
    source: whmcs
    when: "true"
    reply:
      as: comment
      body: hi
      custom_fields:
        "12": ok
        priority: high
`
	_, err := Load([]byte(stock+rule), "rules.yaml", Options{Platforms: testRegistry})
	want := `rules.yaml:30:19: rule "a": custom_fields key "priority" is not a custom field id`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, want)
	}
	if strings.Contains(err.Error(), `"12"`) {
		t.Errorf("a numeric id is refused too:\n%v", err)
	}
	mustLoad(t, header+rule)
}

// TestAKeyOfAnotherPlatformIsRefusedWhateverItsValue: a reply key only
// another platform takes is an error even when it is false or empty,
// where it would change nothing: it is a key of the wrong section, and
// the author meant something by it.
func TestAKeyOfAnotherPlatformIsRefusedWhateverItsValue(t *testing.T) {
	for _, kv := range []string{"no_email: false", "markdown: false", "status: ''", "custom_fields: {}", "from: {name: ''}"} {
		_, err := Load([]byte(header+`  - name: a
    source: intercom
    when: "true"
    reply: {as: comment, body: hi, `+kv+`}
`), "rules.yaml", Options{Platforms: testRegistry})
		key, _, _ := strings.Cut(kv, ":")
		want := `platform "intercom" (intercom) does not take reply.` + key
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s on intercom: %v; want %q", kv, err, want)
		}
	}
	// The platform's own keys stay optional.
	mustLoad(t, header+`  - {name: a, source: intercom, when: "true", reply: {as: comment, body: hi, skip_notifications: false, options: []}}
`)
}

// TestWHMCSFromIsCheckedAtLoad: a from object the account's API refuses
// whatever the event (an admin with a client, a contact without its
// client, a name without an email, a literal id that is not a number)
// passed `bot check --strict` and dead-lettered on every send. The loader
// refuses it at the member; a template may render what WHMCS takes, so it
// is left to the replier.
func TestWHMCSFromIsCheckedAtLoad(t *testing.T) {
	stock := strings.Replace(header, "    token_env: WT\n",
		"    api: whmcs\n    identifier_env: I\n    secret_env: S2\n    admin_username: bot\n", 1)
	rule := func(from string) string {
		return "  - name: a\n    source: whmcs\n    when: \"true\"\n    reply:\n      as: comment\n      body: hi\n      from:\n" + from
	}
	cases := []struct {
		name, head, from, want string
	}{
		{"admin with a client", stock, "        admin_username: bot\n        client_id: \"7\"\n",
			`rules.yaml:29:25: rule "a": from.admin_username cannot be combined with client_id, contact_id, name or email; api: whmcs refuses it on every send`},
		{"contact without client", stock, "        contact_id: \"3\"\n",
			`rules.yaml:29:21: rule "a": from.contact_id needs from.client_id`},
		{"name without email", stock, "        name: Support\n",
			`rules.yaml:29:15: rule "a": from.name needs from.email`},
		{"empty from", stock, "        name: ''\n",
			`rules.yaml:29:9: rule "a": from names nobody`},
		{"client id not a number", stock, "        client_id: C-7\n",
			`rules.yaml:29:20: rule "a": from.client_id "C-7" is not a number`},
		{"reseller: contact id not a number", header, "        client_id: \"7\"\n        contact_id: x\n",
			`rules.yaml:27:21: rule "a": from.contact_id "x" is not a number; api: keliweb refuses it on every send`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load([]byte(c.head+rule(c.from)), "rules.yaml", Options{Platforms: testRegistry})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, c.want)
			}
		})
	}
	for _, from := range []string{
		"        admin_username: bot\n",
		"        client_id: \"{{ contact.id }}\"\n        contact_id: \"3\"\n",
		"        name: Support\n        email: \"{{ contact.email }}\"\n",
	} {
		mustLoad(t, stock+rule(from))
	}
	// The reseller API forwards the sender as it is.
	mustLoad(t, header+rule("        name: Support\n"))
}
