package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	goyaml "github.com/goccy/go-yaml"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// deployDir holds the Grafana dashboard and the Prometheus alert rules.
var deployDir = filepath.Join("..", "..", "deploy")

// registered is what a running bot's registry knows about a metric.
type registered struct {
	labels map[string]bool
	typ    dto.MetricType
	seen   bool // gathered (has at least one series), so typ is known
}

// registeredMetrics describes every collector registered on a running
// bot's registry, including vectors that have no series yet, and gathers
// the rest to learn which metrics are histograms.
func registeredMetrics(t *testing.T, reg *prometheus.Registry) map[string]*registered {
	t.Helper()
	out := map[string]*registered{}
	ch := make(chan *prometheus.Desc)
	go func() { reg.Describe(ch); close(ch) }()
	// A Desc has no accessors; its String form is stable:
	// Desc{fqName: "x", help: "...", ..., variableLabels: {a,b}}.
	descRE := regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)
	for d := range ch {
		m := descRE.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read descriptor %s", d)
		}
		r := &registered{labels: map[string]bool{}}
		for _, l := range strings.Split(m[2], ",") {
			if l = strings.TrimSpace(l); l != "" {
				r.labels[l] = true
			}
		}
		out[m[1]] = r
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if r, ok := out[f.GetName()]; ok {
			r.typ, r.seen = f.GetType(), true
		}
	}
	return out
}

// promQL pulls metric names, selector labels and grouping labels out of
// PromQL well enough for the expressions we ship (no full parser: the
// metric names are what must not drift).
var (
	metricNameRE = regexp.MustCompile(`\b(autoresponder_[a-z0-9_]+|process_[a-z0-9_]+|go_[a-z0-9_]+|up)\b`)
	selectorRE   = regexp.MustCompile(`\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}`)
	matcherRE    = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
	groupingRE   = regexp.MustCompile(`\b(?:by|without|on|ignoring)\s*\(([^)]*)\)`)
	stringRE     = regexp.MustCompile(`"[^"]*"`)
)

// targetLabels are added by Prometheus to every scraped series.
var targetLabels = map[string]bool{"instance": true, "job": true}

// checkExpr reports what in expr does not exist on the running bot.
func checkExpr(expr string, reg map[string]*registered) []string {
	var problems []string
	code := stringRE.ReplaceAllString(expr, `""`) // names inside strings are not metrics
	known := map[string]bool{"le": true}
	for l := range targetLabels {
		known[l] = true
	}
	for _, name := range metricNameRE.FindAllString(code, -1) {
		if name == "up" {
			continue // written by Prometheus itself
		}
		r, ok := reg[name]
		if !ok {
			base := name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				base = strings.TrimSuffix(base, suffix)
			}
			r, ok = reg[base]
			if ok && (!r.seen || r.typ != dto.MetricType_HISTOGRAM) {
				problems = append(problems, name+": "+base+" is not a histogram on the running bot")
				continue
			}
		}
		if !ok {
			problems = append(problems, name+": no such metric on the running bot")
			continue
		}
		for l := range r.labels {
			known[l] = true
		}
	}
	for _, sel := range selectorRE.FindAllStringSubmatch(code, -1) {
		name := sel[1]
		r := reg[name]
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if r == nil {
				r = reg[strings.TrimSuffix(name, suffix)]
			}
		}
		for _, m := range matcherRE.FindAllStringSubmatch(sel[2], -1) {
			l := m[1]
			if targetLabels[l] || (l == "le" && strings.HasSuffix(name, "_bucket")) || name == "up" {
				continue
			}
			if r != nil && !r.labels[l] {
				problems = append(problems, name+" has no label "+l)
			}
		}
	}
	for _, g := range groupingRE.FindAllStringSubmatch(code, -1) {
		for _, l := range strings.Split(g[1], ",") {
			if l = strings.TrimSpace(l); l != "" && !known[l] {
				problems = append(problems, "grouping by "+l+": no metric in the expression has that label")
			}
		}
	}
	return problems
}

// dashboardExprs returns every query of the dashboard: panel targets,
// annotations and template variables.
func dashboardExprs(t *testing.T, dash map[string]any) []string {
	t.Helper()
	var out []string
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				walk(val, k)
			}
		case []any:
			for _, val := range x {
				walk(val, key)
			}
		case string:
			if key == "expr" || key == "query" || key == "definition" {
				out = append(out, x)
			}
		}
	}
	walk(dash, "")
	return out
}

type alertFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// TestMonitoringNamesRealMetrics checks that every query of the shipped
// dashboard and alert rules names metrics and labels a running bot
// exports: a renamed metric must not leave a silent, empty panel or an
// alert that can never fire.
func TestMonitoringNamesRealMetrics(t *testing.T) {
	b := startBot(t, rulesWith("https://api.intercom.io", noteRule("greet", "hello")), nil)
	// One event through intake and delivery, so histograms have series.
	b.newConversation("notif_monitoring", "m1")
	b.waitFor(20*time.Second, "the reply", func() bool {
		return b.metric(`autoresponder_reply_total{outcome="dry_run",platform="intercom",rule="greet"}`) == 1
	})
	reg := registeredMetrics(t, b.app.m.Registry)

	raw, err := os.ReadFile(filepath.Join(deployDir, "grafana", "autoresponder.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	exprs := map[string]string{} // expr -> where
	for _, e := range dashboardExprs(t, dash) {
		exprs[e] = "dashboard"
	}
	raw, err = os.ReadFile(filepath.Join(deployDir, "prometheus", "alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var alerts alertFile
	if err := goyaml.UnmarshalWithOptions(raw, &alerts, goyaml.Strict()); err != nil {
		t.Fatalf("alerts.yaml: %v", err)
	}
	for _, g := range alerts.Groups {
		for _, r := range g.Rules {
			exprs[r.Expr] = "alert " + r.Alert
		}
	}
	used := map[string]bool{}
	for expr, where := range exprs {
		for _, p := range checkExpr(expr, reg) {
			t.Errorf("%s: %s\n  in: %s", where, p, expr)
		}
		for _, n := range metricNameRE.FindAllString(stringRE.ReplaceAllString(expr, `""`), -1) {
			used[strings.TrimSuffix(n, "_bucket")] = true
		}
	}
	if len(exprs) < 30 {
		t.Errorf("found only %d queries in the dashboard and alert rules; is the extraction broken?", len(exprs))
	}
	// Every bot metric should be on the dashboard or in an alert, so a new
	// metric is not forgotten.
	var missing []string
	for name := range reg {
		if strings.HasPrefix(name, "autoresponder_") && !used[name] && !unshownMetrics[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("metrics neither on the dashboard nor in an alert: %s", strings.Join(missing, ", "))
	}
}

// unshownMetrics are bot metrics deliberately left off the dashboard and
// the alerts: they help debugging, not operating.
var unshownMetrics = map[string]bool{
	"autoresponder_store_commit_batch_size":       true,
	"autoresponder_http_requests_in_flight":       true,
	"autoresponder_admin_requests_total":          true,
	"autoresponder_webhook_logs_suppressed_total": true,
}

// TestCheckExprFindsProblems makes sure the checker above can fail.
func TestCheckExprFindsProblems(t *testing.T) {
	reg := map[string]*registered{
		"autoresponder_reply_total":                   {labels: map[string]bool{"platform": true, "rule": true, "outcome": true}, typ: dto.MetricType_COUNTER, seen: true},
		"autoresponder_webhook_duration_seconds":      {labels: map[string]bool{"source": true}, typ: dto.MetricType_HISTOGRAM, seen: true},
		"autoresponder_ratelimit_wait_seconds_total":  {labels: map[string]bool{"platform": true}},
		"autoresponder_config_last_reload_successful": {labels: map[string]bool{}, typ: dto.MetricType_GAUGE, seen: true},
	}
	tests := []struct {
		expr string
		want string // "" = no problem
	}{
		{`sum by (platform) (rate(autoresponder_reply_total{outcome="sent"}[5m]))`, ""},
		{`histogram_quantile(0.99, sum by (le) (rate(autoresponder_webhook_duration_seconds_bucket{instance=~"$instance"}[5m])))`, ""},
		{`up{job="autoresponder"} == 0`, ""},
		{`count_values("autoresponder_nothing", autoresponder_config_last_reload_successful)`, ""},
		{`rate(autoresponder_replies_total[5m])`, "autoresponder_replies_total: no such metric"},
		{`sum by (reason) (rate(autoresponder_reply_total[5m]))`, "grouping by reason"},
		{`rate(autoresponder_reply_total{status="sent"}[5m])`, "autoresponder_reply_total has no label status"},
		{`rate(autoresponder_ratelimit_wait_seconds_bucket[5m])`, "no such metric"},
		{`rate(autoresponder_reply_total_bucket[5m])`, "is not a histogram"},
	}
	for _, tt := range tests {
		got := strings.Join(checkExpr(tt.expr, reg), "; ")
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("checkExpr(%s) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

// TestAlertRulesAreComplete checks what every alert needs to be actionable.
func TestAlertRulesAreComplete(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(deployDir, "prometheus", "alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var alerts alertFile
	if err := goyaml.UnmarshalWithOptions(raw, &alerts, goyaml.Strict()); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, g := range alerts.Groups {
		for _, r := range g.Rules {
			names[r.Alert] = true
			if r.For == "" {
				t.Errorf("%s: no for:", r.Alert)
			}
			switch r.Labels["severity"] {
			case "critical", "warning", "info":
			default:
				t.Errorf("%s: severity %q, want critical, warning or info", r.Alert, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: summary and description annotations are required", r.Alert)
			}
		}
	}
	for _, want := range []string{
		"AutoresponderDown", "AutoresponderWebhooksStopped", "AutoresponderReplyFailureRatioHigh",
		"AutoresponderDeadLettersGrowing", "AutoresponderReloadFailed", "AutoresponderRateLimited",
		"AutoresponderLongRateLimitWaits", "AutoresponderRulePaused", "AutoresponderQueueBacklogGrowing",
	} {
		if !names[want] {
			t.Errorf("alert %s is missing", want)
		}
	}
}

// TestDashboardUsesDatasourceVariable: the dashboard imports into any
// Grafana, whatever its Prometheus data source is called.
func TestDashboardUsesDatasourceVariable(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(deployDir, "grafana", "autoresponder.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			Title      string `json:"title"`
			Type       string `json:"type"`
			Datasource *struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	hasVar := false
	for _, v := range dash.Templating.List {
		if v.Type == "datasource" && v.Name == "datasource" && v.Query == "prometheus" {
			hasVar = true
		}
	}
	if !hasVar {
		t.Error("no datasource template variable of type prometheus named datasource")
	}
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q does not use the ${datasource} variable", p.Title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
	}
}
