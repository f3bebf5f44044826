package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// This file is loadgen's Intercom payload set: Intercom API 2.x
// notifications of about 5 KB in a support inbox's topic mix, the rules
// that match (and miss) them, and the strict fake Intercom the bot replies
// to. Everything else in loadgen is platform-neutral (payloadset.go).

// intercomPayloads implements payloadSet.
type intercomPayloads struct{}

// Settings of the fake account the bot replies as.
const (
	botAdminID = "814860"
	apiVersion = "2.14"
)

func (intercomPayloads) Kind() string { return "intercom" }

func (intercomPayloads) Templates(seed uint64) ([]*template, error) {
	return generateTemplates(genConfig{seed: seed})
}

func (intercomPayloads) HitKinds() []string { return hitKinds }

func (intercomPayloads) HitRule(kind string, noMatch bool) (string, string) {
	return hitRule(kind, noMatch)
}

func (intercomPayloads) OrdinaryRule(i int) (string, string, string) { return ordinaryRule(i) }

func (intercomPayloads) PlatformSettings() [][2]string {
	return [][2]string{{"api_version", `"` + apiVersion + `"`}, {"admin_id", `"` + botAdminID + `"`}}
}

func (intercomPayloads) NewFake(token string) *platformfake.Server {
	return intercomfake.New(intercomfake.Options{
		Token: token, APIVersion: apiVersion, AdminID: botAdminID, DisableRecording: true,
	}).Server
}

// Hit kinds: the feature a matching event carries, one per hit rule (see
// rulesgen.go). hitNone events carry none of them.
const (
	hitNone      = ""
	hitRefund    = "refund-words"  // conversation.user.replied text says "chargeback"
	hitVIP       = "vip-tag"       // conversation.user.created tagged "vip"
	hitDomain    = "key-account"   // the author writes from @bigcorp.example
	hitSeverity  = "ticket-s1"     // ticket.contact.replied on a ticket with Severity S1
	hitUrgentTix = "urgent-ticket" // ticket.created whose first comment starts "URGENT"
)

var hitKinds = []string{hitRefund, hitVIP, hitDomain, hitSeverity, hitUrgentTix}

// topicWeights is the topic mix of ordinary events, in percent: a support
// inbox is mostly customers writing and admins answering.
var topicWeights = []struct {
	topic  string
	weight int
}{
	{"conversation.user.replied", 34},
	{"conversation.user.created", 14},
	{"conversation.admin.replied", 22},
	{"conversation.admin.noted", 10},
	{"ticket.contact.replied", 7},
	{"ticket.created", 4},
	{"ticket.admin.replied", 4},
	{"ticket.note.created", 3},
	{"ticket.state.updated", 2},
}

// hitTopic is the topic an event carrying a hit feature has.
var hitTopic = map[string]string{
	hitRefund:    "conversation.user.replied",
	hitVIP:       "conversation.user.created",
	hitDomain:    "conversation.user.replied",
	hitSeverity:  "ticket.contact.replied",
	hitUrgentTix: "ticket.created",
}

// Vocabulary of the generated text. None of it contains a word a non-hit
// rule looks for (rulesgen.go's ruleWords) nor a hit feature.
var (
	firstNames = []string{"Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger",
		"Radia", "Tim", "Katherine", "Donald", "Hedy", "John", "Sophie", "Niklaus", "Anita", "Bjarne"}
	lastNames = []string{"Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen",
		"Dijkstra", "Perlman", "Berners-Lee", "Johnson", "Knuth", "Lamarr", "Backus", "Wilson", "Wirth", "Borg", "O'Neil"}
	domains   = []string{"example.org", "mail.example.com", "example.net", "shop.example", "acme.example", "studio.example"}
	adminsIDs = []string{"7301245", "7301246", "7301247", "7301250"}
	admins    = map[string]string{"7301245": "Lea Support", "7301246": "Sam Agent", "7301247": "Kim Billing", "7301250": "Ola Tech"}
	tagNames  = []string{"billing", "bug", "feature-request", "eu", "us", "priority-normal", "onboarding", "mobile", "api",
		"churn-risk", "renewal", "trial"}
	plans = []string{"free", "starter", "pro", "business", "enterprise"}

	openers = []string{"Hi there,", "Hello team,", "Good morning,", "Hey,", "Hi again,", "Dear support,"}
	asks    = []string{
		"I was charged twice this month and would like the second charge reversed.",
		"The export to CSV produces an empty file since yesterday's update.",
		"How do I add three more seats to our workspace without changing the plan?",
		"Our invoices should show the new company address; where can I change it?",
		"The mobile app logs me out every few minutes on Android 15.",
		"We would like to move from monthly to yearly billing before the renewal date.",
		"The dashboard takes more than thirty seconds to load the reports tab.",
		"Can you confirm whether the integration supports custom fields on contacts?",
		"I cannot upload attachments larger than 2 MB although the docs say 10 MB.",
		"Please update the billing email to the finance team's shared mailbox.",
		"Our team lead left the company; how do we transfer ownership of the account?",
		"The search does not find conversations older than ninety days.",
	}
	details = []string{
		"It started after we upgraded last Tuesday, and nothing else changed on our side.",
		"I have attached a screenshot of the error and the browser console output.",
		"This affects about twenty people in our team, so a quick answer would help a lot.",
		"We tried another browser and a different network with the same result.",
		"The order number is 55310 and the account is registered to our operations team.",
		"Our accountant needs this before the end of the quarter for the audit.",
		"I already cleared the cache and reinstalled the app twice.",
		"Let me know if you need more details or access to a test account.",
	}
	closers = []string{"Thanks!", "Best regards,", "Thank you in advance.", "Cheers,", "Kind regards,", "Many thanks,"}
	answers = []string{
		"Thanks for the details. I have asked our billing team to look into the duplicate charge.",
		"We reproduced the problem and a fix is scheduled for the next release.",
		"You can change this under Settings, then Workspace, then Billing details.",
		"I have escalated this to our engineers and will update you as soon as I hear back.",
		"Could you send us the exact time the error happened so we can check the logs?",
		"The seats were added; you will see them on the next invoice, prorated.",
	}
	noteLines = []string{
		"Customer is on an older app version; asked them to update first.",
		"Checked the payment provider: two authorisations, one captured.",
		"Linked to the engineering issue about slow report loading.",
		"Account owner confirmed by phone; safe to change the billing email.",
		"Waiting for the customer's screenshot before escalating.",
	}
	ticketTitles = []string{"Export to CSV fails", "Duplicate charge on invoice", "Report tab slow", "Cannot upload attachments",
		"Ownership transfer", "Mobile app logs out", "Search misses old conversations"}
	platformsAttr = []string{"web", "ios", "android", "api"}
	severities    = []string{"S2", "S3", "S4"}
)

// genConfig tunes template generation.
type genConfig struct {
	templates  int    // distinct templates (default 1000)
	targetSize int    // approximate bytes per delivery (default 5000)
	hitEvery   int    // one template in hitEvery carries a hit feature (default 20: 5 %)
	echoEvery  int    // one template in echoEvery is the bot's own reply coming back (default 33)
	botAdminID string // the bot's admin id
	seed       uint64 // deterministic generation
}

func (c *genConfig) defaults() {
	if c.templates <= 0 {
		c.templates = 1000
	}
	if c.targetSize <= 0 {
		c.targetSize = 5000
	}
	if c.hitEvery <= 0 {
		c.hitEvery = 20
	}
	if c.echoEvery <= 0 {
		c.echoEvery = 33
	}
	if c.botAdminID == "" {
		c.botAdminID = botAdminID
	}
}

// generateTemplates builds the templates: realistic 2.x shapes with varied
// text, contacts, tags and ticket attributes.
func generateTemplates(cfg genConfig) ([]*template, error) {
	cfg.defaults()
	rng := rand.New(rand.NewPCG(cfg.seed, 0x10adf00d))
	out := make([]*template, 0, cfg.templates)
	for k := range cfg.templates {
		g := &gen{rng: rng, k: k, cfg: &cfg, now: 1768471200 + int64(k)*37}
		hit := hitNone
		if k%cfg.hitEvery == 0 {
			hit = hitKinds[(k/cfg.hitEvery)%len(hitKinds)]
		}
		echo := hit == hitNone && k%cfg.echoEvery == 5
		topic := g.topic()
		switch {
		case hit != hitNone:
			topic = hitTopic[hit]
		case echo:
			topic = "conversation.admin.replied"
		}
		t, err := g.build(topic, hit, echo)
		if err != nil {
			return nil, fmt.Errorf("template %d (%s): %w", k, topic, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// gen builds one template.
type gen struct {
	rng *rand.Rand
	k   int
	cfg *genConfig
	now int64
}

func (g *gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *gen) topic() string {
	n := g.rng.IntN(100)
	for _, tw := range topicWeights {
		if n < tw.weight {
			return tw.topic
		}
		n -= tw.weight
	}
	return topicWeights[0].topic
}

// person is the customer of a template.
type person struct {
	id, external, name, email string
}

func (g *gen) person(hit string) person {
	first, last := g.pick(firstNames), g.pick(lastNames)
	domain := g.pick(domains)
	if hit == hitDomain {
		domain = "bigcorp.example"
	}
	local := strings.ToLower(strings.NewReplacer("'", "", "-", "").Replace(first + "." + last))
	return person{
		id:       fmt.Sprintf("6790a1b2c3d4e5f6%08x", g.k),
		external: fmt.Sprintf("cust-%d", 1000+g.k),
		name:     first + " " + last,
		email:    fmt.Sprintf("%s%d@%s", local, g.k%97, domain),
	}
}

// customerText is a customer message of a few sentences, as HTML.
func (g *gen) customerText(hit string) string {
	var parts []string
	if hit == hitUrgentTix {
		parts = append(parts, "URGENT: our whole team is locked out since this morning.")
	} else {
		parts = append(parts, g.pick(openers))
	}
	parts = append(parts, g.pick(asks))
	if hit == hitRefund {
		parts = append(parts, "If this is not sorted out this week I will have to file a chargeback with my bank.")
	}
	for range 1 + g.rng.IntN(3) {
		parts = append(parts, g.pick(details))
	}
	parts = append(parts, g.pick(closers))
	return "<p>" + strings.Join(parts, "</p><p>") + "</p>"
}

func (g *gen) tags(hit string) []any {
	n := g.rng.IntN(4)
	var list []any
	seen := map[string]bool{}
	if hit == hitVIP {
		list = append(list, map[string]any{"type": "tag", "id": "82", "name": "vip"})
		seen["vip"] = true
	}
	for range n {
		name := g.pick(tagNames)
		if seen[name] {
			continue
		}
		seen[name] = true
		list = append(list, map[string]any{"type": "tag", "id": fmt.Sprint(100 + len(name)*7), "name": name})
	}
	return list
}

func author(typ, id, name, email string) map[string]any {
	return map[string]any{"type": typ, "id": id, "name": name, "email": email}
}

func (g *gen) adminAuthor(echo bool) map[string]any {
	if echo {
		return author("admin", g.cfg.botAdminID, "Support Bot", "bot@support.example")
	}
	id := g.pick(adminsIDs)
	return author("admin", id, admins[id], strings.ToLower(strings.ReplaceAll(admins[id], " ", "."))+"@support.example")
}

func (g *gen) conversationPart(i int, partType, body string, a map[string]any) map[string]any {
	at := g.now - int64(3600*(5-i))
	return map[string]any{
		"type": "conversation_part", "id": fmt.Sprint(132000000 + g.k*10 + i), "part_type": partType,
		"body": body, "created_at": at, "updated_at": at, "notified_at": at, "assigned_to": nil,
		"author": a, "attachments": []any{}, "external_id": nil, "redacted": false,
		"metadata": map[string]any{}, "email_message_metadata": nil, "app_package_code": nil,
	}
}

// build assembles the notification and cuts it around the id.
func (g *gen) build(topic, hit string, echo bool) (*template, error) {
	p := g.person(hit)
	var item map[string]any
	var target string
	if strings.HasPrefix(topic, "ticket.") {
		target = fmt.Sprint(215472629600000 + g.k)
		item = g.ticketItem(topic, hit, p, target)
	} else {
		target = fmt.Sprint(9100000000 + g.k)
		item = g.conversationItem(topic, hit, echo, p, target)
	}
	root := map[string]any{
		"type": "notification_event", "app_id": "wsp7k2q9",
		"data":  map[string]any{"type": "notification_event_data", "item": item},
		"links": map[string]any{}, "id": idSentinel, "topic": topic,
		"delivery_status": "pending", "delivery_attempts": 1, "delivered_at": 0,
		"first_sent_at": g.now + 1, "created_at": g.now, "self": nil,
	}
	// Grow the history until the delivery is about the target size; the
	// newest part stays last (it is the event's message).
	for i := 0; ; i++ {
		b, err := json.Marshal(root)
		if err != nil {
			return nil, err
		}
		want := g.cfg.targetSize - g.cfg.targetSize/10 + g.k*37%(g.cfg.targetSize/5) // ±10 %
		if len(b) >= want || i > 40 {
			return cutTemplate(b, topic, target, hit, echo)
		}
		g.pad(item, p)
	}
}

func (g *gen) conversationItem(topic, hit string, echo bool, p person, id string) map[string]any {
	customer := author("user", p.id, p.name, p.email)
	var parts []any
	switch topic {
	case "conversation.user.replied":
		parts = append(parts, g.conversationPart(4, "comment", g.customerText(hit), customer))
	case "conversation.admin.replied":
		parts = append(parts, g.conversationPart(4, "comment", "<p>"+g.pick(answers)+"</p>", g.adminAuthor(echo)))
	case "conversation.admin.noted":
		parts = append(parts, g.conversationPart(4, "note", "<p>"+g.pick(noteLines)+"</p>", g.adminAuthor(false)))
	}
	first := g.customerText(hitNone)
	if topic == "conversation.user.created" {
		first = g.customerText(hit)
	}
	tags := g.tags(hit)
	item := map[string]any{
		"type": "conversation", "id": id, "created_at": g.now - 18000, "updated_at": g.now,
		"waiting_since": g.now, "snoozed_until": nil,
		"source": map[string]any{
			"type": "conversation", "id": fmt.Sprint(880000000 + g.k), "delivered_as": "customer_initiated",
			"subject": "", "body": first, "author": customer, "attachments": []any{}, "url": nil, "redacted": false,
		},
		"contacts": map[string]any{"type": "contact.list", "contacts": []any{
			map[string]any{"type": "contact", "id": p.id, "external_id": p.external},
		}},
		"first_contact_reply": map[string]any{"created_at": g.now - 18000, "type": "conversation", "url": nil},
		"admin_assignee_id":   7301245, "team_assignee_id": 5017691,
		"open": true, "state": "open", "read": false,
		"tags":     map[string]any{"type": "tag.list", "tags": tags},
		"priority": "not_priority", "sla_applied": nil, "statistics": nil, "conversation_rating": nil,
		"teammates": map[string]any{"type": "admin.list", "admins": []any{
			map[string]any{"type": "admin", "id": g.pick(adminsIDs)},
		}},
		"title": nil,
		"custom_attributes": map[string]any{
			"plan": g.pick(plans), "seats": 1 + g.rng.IntN(200), "region": g.pick([]string{"eu-west", "us-east", "ap-south"}),
		},
		"topics": map[string]any{}, "ticket": nil,
		"linked_objects": map[string]any{"type": "list", "data": []any{}, "total_count": 0, "has_more": false},
		"ai_agent":       nil, "ai_agent_participated": false,
		"conversation_parts": map[string]any{"type": "conversation_part.list", "conversation_parts": parts, "total_count": len(parts)},
	}
	if topic == "conversation.user.created" {
		item["tags_added"] = map[string]any{"type": "tag.list", "tags": tags}
	}
	return item
}

func (g *gen) ticketPart(i int, partType, body string, a map[string]any) map[string]any {
	at := g.now - int64(3600*(5-i))
	return map[string]any{
		"type": "ticket_part", "id": fmt.Sprint(37404500000 + g.k*10 + i), "part_type": partType,
		"body": body, "created_at": at, "updated_at": at, "author": a, "attachments": []any{}, "redacted": false,
	}
}

func (g *gen) ticket(hit string, p person, id string) map[string]any {
	severity := g.pick(severities)
	if hit == hitSeverity {
		severity = "S1"
	}
	states := []struct{ cat, label string }{{"submitted", "Submitted"}, {"in_progress", "In progress"}, {"waiting_on_customer", "Awaiting your reply"}}
	st := states[g.rng.IntN(len(states))]
	return map[string]any{
		"type": "ticket", "id": id, "ticket_id": fmt.Sprint(66050000 + g.k),
		"ticket_attributes": map[string]any{
			"_default_title_": g.pick(ticketTitles), "_default_description_": "See the conversation for details.",
			"Platforms": g.pick(platformsAttr), "Severity": severity, "Root cause": nil,
		},
		"ticket_state": map[string]any{"type": "ticket_state", "id": "4517893", "category": st.cat,
			"internal_label": st.label, "external_label": st.label},
		"ticket_type": map[string]any{"type": "ticket_type", "id": "2979331", "name": g.pick([]string{"Bug report", "Billing question", "Tickets"}),
			"description": "", "icon": "🎟", "workspace_id": "wsp7k2q9", "archived": false,
			"created_at": 1767066651, "updated_at": 1767066651, "is_internal": false, "category": "Customer"},
		"contacts": map[string]any{"type": "contact.list", "contacts": []any{
			map[string]any{"type": "contact", "id": p.id, "external_id": p.external},
		}},
		"admin_assignee_id": g.pick(adminsIDs), "team_assignee_id": "0",
		"created_at": g.now - 18000, "updated_at": g.now,
		"ticket_parts":   map[string]any{"type": "ticket_part.list", "ticket_parts": []any{}, "total_count": 0},
		"open":           true,
		"linked_objects": map[string]any{"type": "list", "data": []any{}, "total_count": 0, "has_more": false},
		"category":       "Customer", "is_shared": true, "channel": "messenger",
	}
}

func (g *gen) ticketItem(topic, hit string, p person, id string) map[string]any {
	t := g.ticket(hit, p, id)
	customer := author("user", p.id, p.name, p.email)
	if topic == "ticket.created" {
		parts := []any{g.ticketPart(4, "comment", g.customerText(hit), customer)}
		t["ticket_parts"] = map[string]any{"type": "ticket_part.list", "ticket_parts": parts, "total_count": len(parts)}
		return t
	}
	var part map[string]any
	switch topic {
	case "ticket.contact.replied":
		part = g.ticketPart(4, "comment", g.customerText(hitNone), customer)
	case "ticket.admin.replied":
		part = g.ticketPart(4, "comment", "<p>"+g.pick(answers)+"</p>", g.adminAuthor(false))
	case "ticket.note.created":
		part = g.ticketPart(4, "note", "<p>"+g.pick(noteLines)+"</p>", g.adminAuthor(false))
	default: // ticket.state.updated
		part = g.ticketPart(4, "ticket_state_updated_by_admin", "", g.adminAuthor(false))
	}
	t["ticket_parts"] = map[string]any{"type": "ticket_part.list", "ticket_parts": []any{part}, "total_count": 1}
	return map[string]any{"type": "ticket_ticket_part", "ticket": t, "ticket_part": part}
}

// pad adds one older message to the conversation or ticket history.
func (g *gen) pad(item map[string]any, p person) {
	customer := author("user", p.id, p.name, p.email)
	older := func(i int) (string, map[string]any) {
		if i%2 == 0 {
			return g.customerText(hitNone), customer
		}
		return "<p>" + g.pick(answers) + "</p>", g.adminAuthor(false)
	}
	prepend := func(list map[string]any, key string, mk func(i int, body string, a map[string]any) map[string]any) {
		parts, _ := list[key].([]any)
		body, a := older(len(parts))
		parts = append([]any{mk(len(parts), body, a)}, parts...)
		list[key], list["total_count"] = parts, len(parts)
	}
	switch item["type"] {
	case "conversation":
		if parts := item["conversation_parts"].(map[string]any); len(parts["conversation_parts"].([]any)) > 0 {
			prepend(parts, "conversation_parts", func(i int, body string, a map[string]any) map[string]any {
				return g.conversationPart(i%4, "comment", body, a)
			})
			return
		}
		// A new conversation has no parts: its size is in its attributes.
		ca := item["custom_attributes"].(map[string]any)
		ca[fmt.Sprintf("note_%d", len(ca))] = g.pick(details) + " " + g.pick(details)
	case "ticket_ticket_part":
		prepend(item["ticket"].(map[string]any)["ticket_parts"].(map[string]any), "ticket_parts", func(i int, body string, a map[string]any) map[string]any {
			return g.ticketPart(i%4, "comment", body, a)
		})
	case "ticket":
		tp := item["ticket_parts"].(map[string]any)
		parts := tp["ticket_parts"].([]any)
		// Fin's bookkeeping parts come before the customer's comment.
		bot := author("bot", "9608808", "Fin", "operator+wsp7k2q9@intercom.io")
		parts = append([]any{g.ticketPart(len(parts)%4, "attribute_collected", "", bot)}, parts...)
		tp["ticket_parts"], tp["total_count"] = parts, len(parts)
	}
}

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
