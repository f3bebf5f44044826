package replier

import (
	"slices"

	"github.com/supportops/autoresponder/internal/event"
)

// Capability is what a platform kind posts: reply kinds, and the target
// types it posts them to. The rules loader checks rules against it, and each
// replier answers Supports from it, so the two cannot disagree.
type Capability struct {
	As      []string
	Targets []string
}

var everyAs = []string{AsComment, AsNote, AsQuickReply, AsContactReply}

var capabilities = map[string]Capability{
	KindIntercom: {As: everyAs, Targets: []string{event.TargetConversation, event.TargetTicket}},
	KindWHMCS:    {As: []string{AsComment, AsNote}, Targets: []string{event.TargetTicket}},
	// A dry run stands in for any platform.
	KindLog: {As: everyAs, Targets: []string{event.TargetConversation, event.TargetTicket}},
}

// CapabilityOf returns what a platform kind posts.
func CapabilityOf(kind string) (Capability, bool) {
	c, ok := capabilities[kind]
	return c, ok
}

// Supports reports whether a platform kind posts as to targetType.
func Supports(kind, as, targetType string) bool {
	c, ok := capabilities[kind]
	return ok && slices.Contains(c.As, as) && slices.Contains(c.Targets, targetType)
}
