package front

import (
	"fmt"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
)

// maxMaxAge bounds the replay window: a day-old signed request is not a
// clock difference.
const maxMaxAge = 24 * time.Hour

// ValidateSource implements platform.Platform.
func (Platform) ValidateSource(s *platform.Settings) []platform.Problem {
	var probs []platform.Problem
	if v := s.Get(settingMaxAge); v != "" {
		d, err := parseDuration(v)
		switch {
		case err != nil:
			probs = append(probs, problem(settingMaxAge, "%q is not a duration such as 5m", v))
		case d <= 0 || d > maxMaxAge:
			probs = append(probs, problem(settingMaxAge, "%s must be more than 0 and at most %s", v, maxMaxAge))
		}
	}
	return probs
}

// ValidateAccount implements platform.Platform. Front ids carry a type
// prefix; a teammate id without tea_ would never match an author, and the
// loop guard would not recognise the bot's own posts.
func (Platform) ValidateAccount(s *platform.Settings) []platform.Problem {
	var probs []platform.Problem
	if p := checkID(s.Get(settingTeammateID), "tea_"); p != "" {
		probs = append(probs, problem(settingTeammateID, "%s", p))
	}
	if v := s.Get(settingChannelID); v != "" {
		if p := checkID(v, "cha_"); p != "" {
			probs = append(probs, problem(settingChannelID, "%s", p))
		}
	}
	return probs
}

// checkID says what is wrong with a Front id of the given prefix ("" when
// nothing is).
func checkID(id, prefix string) string {
	switch {
	case id == "":
		return "is required"
	case !strings.HasPrefix(id, prefix) || len(id) == len(prefix):
		return fmt.Sprintf("%q is not a Front id of the form %s...", id, prefix)
	case strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '/' }):
		return fmt.Sprintf("%q contains whitespace, a slash or control characters", id)
	}
	return ""
}

// ValidateReply implements platform.Platform: the capability table says
// all there is to say.
func (Platform) ValidateReply(*platform.ReplyView) []platform.Problem { return nil }

func problem(key, format string, args ...any) platform.Problem {
	return platform.Problem{Path: []string{key}, Message: fmt.Sprintf(format, args...)}
}
