package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/all"
	"github.com/supportops/autoresponder/internal/rules"
)

// Rule file variants.
const (
	variantMix     = "mix"     // 100 rules; the hit rules match about 5 % of events
	variantNoMatch = "nomatch" // the same 100 rules with the hit rules' values changed: nothing matches
	variantE2E     = "e2e"     // the mix plus a last rule matching every event
)

// Secrets the bot reads from its environment (names in the rules file).
const (
	secretEnv  = "LOADGEN_INTERCOM_SECRET"
	tokenEnv   = "LOADGEN_INTERCOM_TOKEN"
	botAdminID = "814860"
	apiVersion = "2.14"
	ruleCount  = 100
)

// ruleWords are what the ordinary rules look for. The payload generator
// never writes them, so these rules fail, most after their cheap parts
// (topic, nil checks) have passed.
var ruleWords = []string{
	"gdpr", "cancel my subscription", "delete my data", "password reset", "two-factor", "single sign-on",
	"saml", "outage", "downtime", "rate limit", "phishing", "fraud", "lawyer", "press inquiry", "partnership",
	"reseller", "invoice copy", "vat number", "purchase order", "wire transfer", "sepa mandate",
	"data processing agreement", "penetration test", "security questionnaire", "status page", "api token",
	"sandbox", "white label", "nonprofit discount", "education discount", "zapier", "salesforce", "hubspot",
	"slack integration", "dark mode", "screen reader", "translation",
}

// slug turns a rule word into a tag, plan or domain label.
func slug(w string) string { return strings.ReplaceAll(w, " ", "-") }

// hitRule is the rule that matches events carrying one hit feature; miss
// is its value in the no-match variant, where the same work finds nothing.
func hitRule(kind string, noMatch bool) (name, when string) {
	v := func(hit, miss string) string {
		if noMatch {
			return miss
		}
		return hit
	}
	switch kind {
	case hitRefund:
		return "refund-triage", `topic in ["conversation.user.created", "conversation.user.replied"] && message?.text matches "(?i)\\b(` +
			v("chargeback|money back", "chargeback-x|money back-x") + `)\\b"`
	case hitVIP:
		return "vip-welcome", `topic == "conversation.user.created" && "` + v("vip", "vip-gold") + `" in tags`
	case hitDomain:
		return "key-account-note", `(contact?.email ?? "") endsWith "@` + v("bigcorp.example", "bigcorp.invalid") + `"`
	case hitSeverity:
		return "ticket-s1-ack", `topic == "ticket.contact.replied" && ticket?.attributes?.Severity == "` + v("S1", "S0") + `"`
	default: // hitUrgentTix
		return "urgent-ticket-note", `topic == "ticket.created" && (message?.text ?? "") startsWith "` + v("URGENT", "URGENT!!") + `"`
	}
}

// ordinaryRule is non-hit rule i: a realistic mix of operators over nested
// fields. About two in three name their topic the way the prefilter
// understands; the rest (email domains, tags, names, `topic startsWith`)
// run on every event.
func ordinaryRule(i int) (name, when, extra string) {
	w := ruleWords[i%len(ruleWords)]
	s := slug(w)
	title := strings.ToUpper(w[:1]) + w[1:]
	kinds := []struct {
		name, when, extra string
	}{
		{"words", `topic in ["conversation.user.created", "conversation.user.replied"] && message?.text matches "(?i)\\b(` + w + `)\\b"`, "cooldown: 12h"},
		{"mention", `topic == "conversation.user.replied" && lower(message?.text ?? "") contains "` + w + `"`, ""},
		{"domain", `(contact?.email ?? "") endsWith "@` + s + `.example"`, "once: true\n    per: contact"},
		{"tag", `"` + s + `" in tags`, ""},
		{"platform", `topic startsWith "ticket." && ticket?.attributes?.Platforms == "` + s + `"`, ""},
		{"ticket-words", `topic == "ticket.contact.replied" && ticket?.state in ["submitted", "in_progress"] && (message?.text ?? "") contains "` + w + `"`, "cooldown: 6h"},
		{"plan", `topic == "conversation.user.created" && item?.custom_attributes?.plan == "` + s + `"`, "once: true"},
		{"name", `(contact?.name ?? "") startsWith "` + title + `"`, ""},
		{"note-words", `topic == "conversation.admin.noted" && message?.author?.type == "admin" && (message?.text ?? "") contains "` + w + `"`, ""},
		{"bug-subject", `topic in ["ticket.created", "ticket.contact.replied"] && ticket?.type == "Bug report" && lower(ticket?.subject ?? "") contains "` + w + `"`, ""},
		{"any-tag", `len(tags) > 0 && any(tags, # == "` + s + `") && topic startsWith "conversation."`, "stop: true"},
		{"external", `topic == "conversation.user.replied" && (contact?.external_id ?? "") startsWith "` + s + `-"`, ""},
		{"admin", `topic == "conversation.admin.replied" && message?.author?.id == "` + fmt.Sprint(9900000+i) + `"`, "mode: shadow"},
		{"asap", `topic in ["conversation.user.created", "conversation.user.replied", "ticket.contact.replied"] && message?.text matches "(?i)(` + w + `).*(urgent|asap)"`, ""},
	}
	k := kinds[i%len(kinds)]
	return fmt.Sprintf("%s-%s-%02d", k.name, s, i), k.when, k.extra
}

// replyBody is every rule's reply: five placeholders (escaped into HTML)
// and the event id, which the end-to-end run finds the event by.
const replyBody = `<p>Hi {{ contact?.name ?? "there" }}, thanks for your message about {{ ticket?.subject ?? "your conversation" }}.</p>` +
	`<p>We answer {{ contact?.email ?? "you" }} within one working day ({{ "vip" in tags ? "priority" : "standard" }} queue).</p>` +
	`<p>Ref {{ id }}</p>`

// rulesFile generates the rules file of a variant, replying to the fake
// Intercom at platformURL.
func rulesFile(variant, platformURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# Generated by cmd/loadgen (%s variant). Budgets are off so that a load
# test measures the bot, not its throttles.
settings:
  target_max_per_hour: 0
  rule_max_per_hour: 0
  pause_after: 0
sources:
  intercom:
    kind: intercom
    secret_env: %s
platforms:
  intercom:
    kind: intercom
    base_url: %s
    token_env: %s
    api_version: "%s"
    admin_id: "%s"
rules:
`, variant, secretEnv, platformURL, tokenEnv, apiVersion, botAdminID)
	hits := 0
	for i := range ruleCount {
		var name, when, extra string
		if i%20 == 10 && hits < len(hitKinds) {
			name, when = hitRule(hitKinds[hits], variant == variantNoMatch)
			hits++
		} else {
			name, when, extra = ordinaryRule(i)
		}
		writeRule(&b, name, when, extra, []string{"note", "comment"}[i%2])
	}
	if variant == variantE2E {
		writeRule(&b, "e2e-every-event", "true", "", "note")
	}
	return b.String()
}

func writeRule(b *strings.Builder, name, when, extra, as string) {
	fmt.Fprintf(b, "  - name: %s\n    when: %s\n", name, yamlQuote(when))
	if extra != "" {
		fmt.Fprintf(b, "    %s\n", extra)
	}
	fmt.Fprintf(b, "    reply:\n      as: %s\n      body: %s\n", as, yamlQuote(replyBody))
}

// yamlQuote writes s as a double-quoted YAML scalar.
func yamlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// prediction is what the rules make of the templates, computed in process
// with the bot's own parser and rules engine: the expected match ratio and,
// per template, how many replies an event of it should produce.
type prediction struct {
	Templates     int     `json:"templates"`
	EventsMatched float64 `json:"events_matched_ratio"` // templates with at least one match
	MatchesPerEv  float64 `json:"matches_per_event"`
	Ignored       int     `json:"ignored_templates"` // loop guard: the bot's own replies coming back
	Errors        int     `json:"rule_errors"`
	replies       []int   // per template
}

// predict loads a rules file and evaluates every template.
func predict(templates []*template, rulesText string) (*prediction, error) {
	reg := all.Registry()
	rs, err := rules.Load([]byte(rulesText), "rules.yaml", rules.Options{Platforms: reg})
	if err != nil {
		return nil, fmt.Errorf("generated rules do not load: %w", err)
	}
	p := &prediction{Templates: len(templates), replies: make([]int, len(templates))}
	matched, matches := 0, 0
	for k, t := range templates {
		src := rs.Sources["intercom"]
		ev, err := platform.Parse(src.Impl, src.Name, &platform.Delivery{Body: t.body("notif_00000000-0000-4000-8000-000000000000")}, time.Now())
		if err != nil {
			return nil, fmt.Errorf("template %d does not parse: %w", k, err)
		}
		e := rs.Evaluate(ev)
		p.Errors += len(e.Errors)
		if e.Ignored != "" {
			p.Ignored++
		}
		n := 0
		for _, m := range e.Matches {
			if !m.Shadow && m.Err == nil {
				n++
			}
		}
		p.replies[k] = n
		matches += n
		if n > 0 {
			matched++
		}
	}
	p.EventsMatched = float64(matched) / float64(len(templates))
	p.MatchesPerEv = float64(matches) / float64(len(templates))
	return p, nil
}

// repliesFor is how many replies event i should produce.
func (p *prediction) repliesFor(pl *pool, i int64) int {
	return p.replies[pl.slot(i)%int64(len(pl.templates))]
}
