package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	goyaml "github.com/goccy/go-yaml"
)

type scrapeConfig struct {
	RuleFiles     []string `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName        string `yaml:"job_name"`
		RelabelConfigs []struct {
			SourceLabels []string `yaml:"source_labels"`
			Regex        string   `yaml:"regex"`
			Action       string   `yaml:"action"`
		} `yaml:"relabel_configs"`
	} `yaml:"scrape_configs"`
}

type alertRules struct {
	Groups []struct {
		Rules []struct {
			Alert string `yaml:"alert"`
			Expr  string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	if err := goyaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

var jobMatcher = regexp.MustCompile(`\bjob\s*(=~|!~|!=|=)\s*"([^"]*)"`)

// TestScrapeJobMatchesAlerts: the alerts select their targets by the job
// label, which is the scrape config's job_name; if the two differ the
// "bot down" alert watches nothing. The relabelling must also keep the pods
// the manifests create, on the port that serves /metrics.
func TestScrapeJobMatchesAlerts(t *testing.T) {
	var cfg scrapeConfig
	readYAML(t, "prometheus/prometheus.yml", &cfg)
	if len(cfg.ScrapeConfigs) != 1 {
		t.Fatalf("%d scrape configs, want 1", len(cfg.ScrapeConfigs))
	}
	sc := cfg.ScrapeConfigs[0]
	if !slices.Contains(cfg.RuleFiles, "alerts.yaml") {
		t.Errorf("rule_files %v does not load alerts.yaml", cfg.RuleFiles)
	}

	var alerts alertRules
	readYAML(t, "prometheus/alerts.yaml", &alerts)
	selected := 0
	for _, g := range alerts.Groups {
		for _, r := range g.Rules {
			for _, m := range jobMatcher.FindAllStringSubmatch(r.Expr, -1) {
				selected++
				if m[1] != "=" || m[2] != sc.JobName {
					t.Errorf("alert %s selects job%s%q; the scrape job is %q", r.Alert, m[1], m[2], sc.JobName)
				}
			}
		}
	}
	if selected == 0 {
		t.Error("no alert selects a job: the up{job=...} alerts are gone")
	}

	// The pods and port the manifests define, as kubernetes_sd sees them.
	for _, file := range []string{"kubernetes/single/autoresponder.yaml", "kubernetes/replicas/autoresponder.yaml"} {
		dep := kind(loadYAML(t, filepath.FromSlash(file)), "Deployment")
		meta := map[string]string{}
		if app, ok := get(dep, "spec", "template", "metadata", "labels", "app").(string); ok {
			meta["__meta_kubernetes_pod_label_app"] = app
		}
		if port, ok := get(dep, "spec", "template", "spec", "containers", 0, "ports", 0, "name").(string); ok {
			meta["__meta_kubernetes_pod_container_port_name"] = port
		}
		keeps := 0
		for _, rc := range sc.RelabelConfigs {
			if rc.Action != "keep" {
				continue
			}
			keeps++
			if len(rc.SourceLabels) != 1 {
				t.Fatalf("keep rule on %v: the test handles one source label", rc.SourceLabels)
			}
			// Prometheus anchors relabel regexes at both ends.
			re := regexp.MustCompile("^(?:" + rc.Regex + ")$")
			if v := meta[rc.SourceLabels[0]]; !re.MatchString(v) {
				t.Errorf("%s: the scrape job drops the bot's pods: %s=%q does not match %q", file, rc.SourceLabels[0], v, rc.Regex)
			}
		}
		if keeps == 0 {
			t.Error("the scrape job keeps every pod of the cluster: select the bot's")
		}
	}
}
