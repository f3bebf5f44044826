package helpscout

import (
	"slices"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// LoopGuard says why an event must not trigger ordinary rules:
//   - own_reply: a thread created by the bot's user (createdBy type "user"
//     with a configured user_id; customer ids are another numbering, so the
//     type must match too), or an agent reply or note whose author the body
//     does not show: it may be the bot's own, and answering it could loop;
//   - bot_author: a thread written by a workflow;
//   - "" for customers and human agents.
func (Platform) LoopGuard(ev *event.Event, self []platform.Identity) string {
	m := ev.Message
	if m == nil {
		return ""
	}
	if m.Author.Type == AuthorUser && m.Author.ID != "" {
		for _, id := range self {
			if slices.Contains(id.IDs, m.Author.ID) {
				return platform.IgnoredOwnReply
			}
		}
	}
	if m.Author.ID == "" && (ev.Topic == TopicAgentReply || ev.Topic == TopicNote) {
		return platform.IgnoredOwnReply
	}
	if t := findThread(ev.Item, m.ID); t != nil && automated(t) {
		return platform.IgnoredBotAuthor
	}
	return ""
}
