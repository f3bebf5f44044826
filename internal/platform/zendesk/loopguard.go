package zendesk

import (
	"slices"
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// LoopGuard implements platform.Platform.
//
//   - own_reply: the message's author (comment author, messaging actor,
//     trigger current user) or, for an event subscription, the event's
//     detail.actor_id is one of the bot's users: agent_id, or the user
//     its token authenticates as, by token_user_id or, where the payload
//     reports an email ({{current_user.email}} in a trigger), by the
//     account's email. Names are not compared: they are not unique.
//   - bot_author: a messaging event whose actor is a trigger or the system.
//
// Agents' comments and notes pass: rules tell them apart by
// message.author.type ("agent" / "end_user").
func (Platform) LoopGuard(ev *event.Event, self []platform.Identity) string {
	if isSelf(self, actorID(ev)) {
		return platform.IgnoredOwnReply
	}
	if ev.Message == nil {
		return ""
	}
	a := ev.Message.Author
	if isSelf(self, a.ID) || isSelfEmail(self, a.Email) {
		return platform.IgnoredOwnReply
	}
	if a.Type == authorTypeTrigger || a.Type == authorTypeSystem {
		return platform.IgnoredBotAuthor
	}
	return ""
}

// actorID is detail.actor_id of an event subscription: who caused the
// event, also when it carries no message (a status or tag change).
func actorID(ev *event.Event) string {
	if !isSubscription(ev.Payload) {
		return ""
	}
	return payload.Str(payload.Object(ev.Payload["detail"])["actor_id"])
}

func isSelf(self []platform.Identity, id string) bool {
	if id == "" {
		return false
	}
	for _, s := range self {
		if slices.Contains(s.IDs, id) {
			return true
		}
	}
	return false
}

// isSelfEmail reports whether email is the token user's (Identity.Names,
// lower-cased). Zendesk compares emails without regard to case.
func isSelfEmail(self []platform.Identity, email string) bool {
	if email == "" {
		return false
	}
	email = strings.ToLower(strings.TrimSpace(email))
	for _, s := range self {
		if slices.Contains(s.Names, email) {
			return true
		}
	}
	return false
}
