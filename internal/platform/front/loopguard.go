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
var automatedSources = []string{sourceAPI, "oauth_client", "rule"}

// sourceAPI is the source of a change made with an API token, as the bot
// makes its own.
const sourceAPI = "api"

// LoopGuard implements platform.Platform.
//
//   - A message or comment whose author is one of the bot's teammates is
//     its own post: own_reply.
//   - An event caused through the API, an OAuth app or a rule is another
//     automation's: bot_author. A customer's inbound message is never
//     dropped this way: custom channels deliver those through the API.
//   - A change with no message (archive, assign, tag...) made through the
//     API token (source "api") may be the bot's own action: Front does not
//     say which token made it, so it is withheld as own_reply and never
//     triggers rules or cancels timers. Changes by OAuth apps and rules
//     stay bot_author.
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
	src := sourceType(ev.Payload)
	if ev.Message == nil && src == sourceAPI {
		return platform.IgnoredOwnReply
	}
	if slices.Contains(automatedSources, src) {
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
