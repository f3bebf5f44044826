package front

import (
	"slices"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// automatedSources are the event sources (source._meta.type) that are not
// a person: changes made through the API or an OAuth app (other
// integrations, bots) and Front's own rules.
var automatedSources = []string{"api", "oauth_client", "rule"}

// LoopGuard implements platform.Platform.
//
//   - A message or comment whose author is one of the bot's teammates is
//     its own post: own_reply.
//   - An event caused through the API, an OAuth app or a rule is another
//     automation's: bot_author. A customer's inbound message is never
//     dropped this way: custom channels deliver those through the API.
//   - Everything else, human teammates' posts included, reaches the rules
//     (the topics they come back as are marked BotAuthored for the lints).
func (Platform) LoopGuard(ev *event.Event, self []platform.Identity) string {
	if m := ev.Message; m != nil && m.Author.Type == AuthorTeammate && m.Author.ID != "" {
		for _, id := range self {
			if slices.Contains(id.IDs, m.Author.ID) {
				return platform.IgnoredOwnReply
			}
		}
	}
	if ev.Message != nil && ev.Message.Author.Type == AuthorContact {
		return ""
	}
	if slices.Contains(automatedSources, sourceType(ev.Payload)) {
		return platform.IgnoredBotAuthor
	}
	return ""
}

// sourceType is the event's source._meta.type, wherever the webhook kind
// put the event.
func sourceType(root map[string]any) string {
	env, sync, err := unwrap(root)
	if err != nil || sync {
		return ""
	}
	return payload.Str(payload.Object(payload.Object(env.evt["source"])["_meta"])["type"])
}
