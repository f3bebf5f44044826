package helpscout

import (
	"slices"
	"strconv"

	"github.com/supportops/autoresponder/internal/platform/payload"
)

// Thread types (Thread.type) that matter here.
const (
	threadCustomer   = "customer" // written by the customer
	threadAgentReply = "message"  // an agent's reply
	threadReply      = "reply"    // an agent's reply, as some payloads name it
	threadNote       = "note"
	threadLineItem   = "lineitem" // a status change, assignment...: no words
)

// threadPreference says which thread a message event is about.
type threadPreference struct {
	types  []string // the thread types the topic announces; nil: any
	oldest bool     // the first thread rather than the newest
}

// messageTopics are the topics that announce a message, and which thread
// carries it. Other topics have no message.
var messageTopics = map[string]threadPreference{
	TopicCreated:       {oldest: true},
	TopicCustomerReply: {types: []string{threadCustomer}},
	TopicAgentReply:    {types: []string{threadAgentReply, threadReply}},
	TopicNote:          {types: []string{threadNote}},
}

// threads lists the conversation's embedded threads (_embedded.threads).
func threads(c map[string]any) []any {
	list, _ := payload.Object(c["_embedded"])["threads"].([]any)
	return list
}

// pickThread chooses the thread an event is about: among the threads of
// the types the topic names, the newest (or oldest); failing that, among
// every thread with words (not a line item). Thread ids grow with time, so
// the highest id is the newest; a thread without a numeric id ranks below
// every other.
func pickThread(list []any, pref threadPreference) map[string]any {
	if pref.types != nil {
		if t := bestThread(list, pref.oldest, func(typ string) bool { return slices.Contains(pref.types, typ) }); t != nil {
			return t
		}
	}
	return bestThread(list, pref.oldest, func(typ string) bool { return typ != threadLineItem })
}

func bestThread(list []any, oldest bool, keep func(string) bool) map[string]any {
	var best map[string]any
	var bestID int64
	for _, e := range list {
		t := payload.Object(e)
		if t == nil || !keep(payload.Str(t["type"])) {
			continue
		}
		id := threadID(t)
		better := id > bestID
		if oldest {
			better = id >= 0 && (bestID < 0 || id < bestID)
		}
		if best == nil || better {
			best, bestID = t, id
		}
	}
	return best
}

// threadID is a thread's numeric id, -1 when it has none.
func threadID(t map[string]any) int64 {
	n, err := strconv.ParseInt(payload.Str(t["id"]), 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// findThread returns the embedded thread with id.
func findThread(c map[string]any, id string) map[string]any {
	if id == "" {
		return nil
	}
	for _, e := range threads(c) {
		if t := payload.Object(e); t != nil && payload.Str(t["id"]) == id {
			return t
		}
	}
	return nil
}

// automated reports whether a thread was written by a workflow rather than
// a person: Thread.action.type (actionType in older payloads) "workflow".
func automated(t map[string]any) bool {
	typ := payload.Str(payload.Object(t["action"])["type"])
	if typ == "" {
		typ = payload.Str(t["actionType"])
	}
	return typ == "workflow"
}
