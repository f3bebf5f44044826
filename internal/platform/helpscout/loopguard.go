package helpscout

import (
	"slices"

	"github.com/supportops/autoresponder/internal/platform/payload"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// LoopGuard says why an event must not trigger ordinary rules:
//   - own_reply: a thread created by the bot's user (createdBy type "user"
//     with a configured user_id; customer ids are another numbering, so the
//     type must match too), or an agent reply or note whose author the body
//     does not show: it may be the bot's own, and answering it could loop;
//   - bot_author: a thread written by a workflow;
//   - own_reply for a status change or assignment the bot's user made (see
//     ownAction), so the bot's own actions never trigger rules;
//   - "" for customers and human agents.
func (Platform) LoopGuard(ev *event.Event, self []platform.Identity) string {
	m := ev.Message
	if m == nil {
		if ownAction(ev, self) {
			return platform.IgnoredOwnReply
		}
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

// actionTopics are the events a bot action causes that can name who did
// it. convo.tags and convo.custom-fields carry no actor at all.
var actionTopics = []string{"convo.status", "convo.assigned"}

// ownAction reports a status change or assignment made by one of the
// bot's users: the conversation's closedBy (a close), or the newest line
// item thread ("closed by", "assigned by": Help Scout writes one per
// change) created by that user. A body without either names no actor.
func ownAction(ev *event.Event, self []platform.Identity) bool {
	if !slices.Contains(actionTopics, ev.Topic) || ev.Item == nil {
		return false
	}
	mine := func(id string) bool {
		for _, s := range self {
			if id != "" && slices.Contains(s.IDs, id) {
				return true
			}
		}
		return false
	}
	if ev.Topic == "convo.status" && payload.Str(ev.Item["status"]) == "closed" && mine(payload.Str(ev.Item["closedBy"])) {
		return true
	}
	item := bestThread(threads(ev.Item), false, func(typ string) bool { return typ == threadLineItem })
	if item == nil {
		return false
	}
	by := payload.Object(item["createdBy"])
	return payload.Str(by["type"]) == AuthorUser && mine(payload.Str(by["id"]))
}
