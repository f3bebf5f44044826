package zendesk

import (
	"slices"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// LoopGuard implements platform.Platform.
//
//   - own_reply: the message's author (comment author, messaging actor,
//     trigger current_user_id) or, for an event subscription, the event's
//     detail.actor_id is one of the bot's agent ids. Zendesk reports users
//     by id only, so names are not compared.
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
	if isSelf(self, a.ID) {
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
