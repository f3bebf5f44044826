package deploy

import (
	"fmt"
	"net"
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

	// The pods and ports the manifests define, as kubernetes_sd sees them
	// (one target per container port): the job must keep the port that
	// serves /metrics and drop the others, where /metrics is a 404 and the
	// target would count as down.
	for _, file := range []string{"kubernetes/single/autoresponder.yaml", "kubernetes/replicas/autoresponder.yaml"} {
		dep := kind(loadYAML(t, filepath.FromSlash(file)), "Deployment")
		metricsPort := metricsPortOf(t, file, get(dep, "spec", "template", "spec", "containers", 0))
		ports, _ := get(dep, "spec", "template", "spec", "containers", 0, "ports").([]any)
		scraped := 0
		for i := range ports {
			meta := map[string]string{}
			if app, ok := get(dep, "spec", "template", "metadata", "labels", "app").(string); ok {
				meta["__meta_kubernetes_pod_label_app"] = app
			}
			name, _ := get(ports[i], "name").(string)
			meta["__meta_kubernetes_pod_container_port_name"] = name
			number := fmt.Sprint(get(ports[i], "containerPort"))
			keeps, kept := 0, true
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
				if !re.MatchString(meta[rc.SourceLabels[0]]) {
					kept = false
				}
			}
			if keeps == 0 {
				t.Fatal("the scrape job keeps every pod of the cluster: select the bot's")
			}
			switch {
			case number == metricsPort && !kept:
				t.Errorf("%s: the scrape job drops port %s (%s), the one serving /metrics", file, name, number)
			case number != metricsPort && kept:
				t.Errorf("%s: the scrape job keeps port %s (%s), which does not serve /metrics (it would be down)", file, name, number)
			}
			if kept {
				scraped++
			}
		}
		if scraped != 1 {
			t.Errorf("%s: the scrape job keeps %d ports of the bot's pods, want 1", file, scraped)
		}
	}
}

// metricsPortOf is the port of the container's listener serving /metrics:
// BOT_ADMIN_LISTEN's when set, else BOT_LISTEN's (the image's :8080).
func metricsPortOf(t *testing.T, file string, container any) string {
	t.Helper()
	env := map[string]string{"BOT_LISTEN": ":8080"}
	list, _ := get(container, "env").([]any)
	for _, e := range list {
		name, _ := get(e, "name").(string)
		value, _ := get(e, "value").(string)
		env[name] = value
	}
	addr := env["BOT_LISTEN"]
	if a := env["BOT_ADMIN_LISTEN"]; a != "" {
		addr = a
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		t.Fatalf("%s: listener %q has no port", file, addr)
	}
	return port
}
