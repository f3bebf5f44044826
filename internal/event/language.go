package event

import "strings"

// iso6391 lists the ISO 639-1 language codes, two letters each.
const iso6391 = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy " +
	"da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz " +
	"ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt " +
	"lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt " +
	"qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to " +
	"tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"

// IsLanguageCode reports whether s is an ISO 639-1 code, in lower case.
func IsLanguageCode(s string) bool {
	if len(s) != 2 || s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z' {
		return false
	}
	for i := 0; i < len(iso6391); i += 3 {
		if iso6391[i:i+2] == s {
			return true
		}
	}
	return false
}

// NormalizeLanguage turns a platform's locale ("de-DE", "pt_BR", "EN",
// "zh-Hant") into its ISO 639-1 language code ("de", "pt", "en", "zh");
// "" when it does not start with one (empty, "und", a three-letter code).
func NormalizeLanguage(locale string) string {
	lang, _, _ := strings.Cut(strings.TrimSpace(locale), "-")
	lang, _, _ = strings.Cut(lang, "_")
	lang = strings.ToLower(lang)
	if !IsLanguageCode(lang) {
		return ""
	}
	return lang
}
