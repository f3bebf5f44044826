package event

import "testing"

func TestNormalizeLanguage(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"de", "de"},
		{"de-DE", "de"},
		{"pt_BR", "pt"},
		{"EN", "en"},
		{" fr-CA ", "fr"},
		{"zh-Hant-TW", "zh"},
		{"nb", "nb"},
		{"", ""},
		{"und", ""},   // "undetermined" is not a 639-1 code
		{"fil", ""},   // 639-2 only
		{"zz", ""},    // two letters, no language
		{"e1", ""},    // not letters
		{"-DE", ""},   // no language part
		{"deu", ""},   // 639-3
		{"ü", ""},     // not ASCII
		{"en-", "en"}, // a broken region still names the language
	} {
		if got := NormalizeLanguage(tc.in); got != tc.want {
			t.Errorf("NormalizeLanguage(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIsLanguageCode(t *testing.T) {
	for _, s := range []string{"aa", "en", "de", "zu", "pt"} {
		if !IsLanguageCode(s) {
			t.Errorf("IsLanguageCode(%q) = false", s)
		}
	}
	for _, s := range []string{"", "e", "EN", "eng", "qq", "xx", "default"} {
		if IsLanguageCode(s) {
			t.Errorf("IsLanguageCode(%q) = true", s)
		}
	}
}
