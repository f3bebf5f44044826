package helpscout_test

import (
	"slices"
	"testing"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/helpscout"
)

func TestValidateAccount(t *testing.T) {
	cases := []struct {
		values map[string]string
		path   string // "" for no problem
	}{
		{map[string]string{"app_id": "abc123", "user_id": "4242"}, ""},
		{map[string]string{"app_id": "abc123", "user_id": "0"}, "user_id"},
		{map[string]string{"app_id": "abc123", "user_id": "bot@example.com"}, "user_id"},
		{map[string]string{"app_id": "abc 123", "user_id": "4242"}, "app_id"},
	}
	for _, c := range cases {
		ps := hs.ValidateAccount(&platform.Settings{Values: c.values})
		switch {
		case c.path == "" && len(ps) > 0:
			t.Errorf("%v: unexpected problems %+v", c.values, ps)
		case c.path != "" && (len(ps) != 1 || !slices.Equal(ps[0].Path, []string{c.path})):
			t.Errorf("%v: problems %+v, want one at %s", c.values, ps, c.path)
		}
	}
}

func TestValidateReply(t *testing.T) {
	for _, c := range []struct {
		toID string
		bad  bool
	}{
		{"", false}, {"123", false}, {"{{ event.item.id }}", false}, {"15473abc", true}, {"-5", true},
	} {
		ps := hs.ValidateReply(&platform.ReplyView{As: platform.AsNote, ToID: c.toID})
		if (len(ps) > 0) != c.bad {
			t.Errorf("to.id %q: problems %+v, want bad=%v", c.toID, ps, c.bad)
		}
	}
}

// Help Scout shows thread text as HTML: interpolated values must be
// escaped for both kinds of reply.
func TestBodyFormatIsHTML(t *testing.T) {
	for _, as := range []string{platform.AsComment, platform.AsNote} {
		if got := hs.BodyFormat(as, nil); got != platform.FormatHTML {
			t.Errorf("BodyFormat(%s) = %v, want FormatHTML", as, got)
		}
	}
	if hs.Spec().Name != helpscout.Kind || hs.Spec().DefaultBaseURL != "https://api.helpscout.net" {
		t.Errorf("spec = %+v", hs.Spec())
	}
}
