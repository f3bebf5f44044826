package event

import (
	"slices"
	"testing"
)

func TestPresenceIn(t *testing.T) {
	table := map[string]Presence{
		"ticket": Always, "ticket.id": Always, "ticket.number": Sometimes, "ticket.priority": Never,
		"item": Never, "tags": Never, "ticket.attributes": Sometimes,
	}
	for _, c := range []struct {
		field string
		want  Presence
	}{
		{"ticket.number", Sometimes},
		{"ticket.id", Always},
		{"ticket.priority", Never},
		{"item.foo", Never},
		{"tags[0]", Never},
		{"ticket.attributes.x", Sometimes},
		{"contact.name", Sometimes}, // not described: no claim either way
	} {
		if got := PresenceIn(table, c.field); got != c.want {
			t.Errorf("PresenceIn(%s) = %d; want %d", c.field, got, c.want)
		}
	}
	if got := PresenceIn(nil, "id"); got != Sometimes {
		t.Errorf("PresenceIn(nil table) = %d; want Sometimes", got)
	}
}

func TestFieldNames(t *testing.T) {
	names := FieldNames()
	for _, want := range []string{"topic", "ticket", "ticket.id", "message.author.email", "event", "item"} {
		if !slices.Contains(names, want) {
			t.Errorf("FieldNames() lacks %s: %q", want, names)
		}
	}
	if slices.Contains(names, "Raw") || slices.Contains(names, "raw") {
		t.Errorf("FieldNames() lists a field rules cannot read: %q", names)
	}
}
