package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	goyaml "github.com/goccy/go-yaml"
)

// manifestDoc holds the fields of the Deployment, Service, Ingress and
// NetworkPolicy that say which port each caller reaches (decoded loosely:
// the strict checks are deploy/kubernetes').
type manifestDoc struct {
	Kind string `yaml:"kind"`
	Spec struct {
		Template struct {
			Spec struct {
				Containers []struct {
					Env []struct {
						Name  string `yaml:"name"`
						Value string `yaml:"value"`
					} `yaml:"env"`
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					ReadinessProbe *manifestProbe `yaml:"readinessProbe"`
					LivenessProbe  *manifestProbe `yaml:"livenessProbe"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
		// Service
		Ports []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
		// Ingress
		Rules []struct {
			HTTP struct {
				Paths []struct {
					Path    string `yaml:"path"`
					Backend struct {
						Service struct {
							Port struct {
								Name   string `yaml:"name"`
								Number int    `yaml:"number"`
							} `yaml:"port"`
						} `yaml:"service"`
					} `yaml:"backend"`
				} `yaml:"paths"`
			} `yaml:"http"`
		} `yaml:"rules"`
		// NetworkPolicy
		Ingress []struct {
			From []struct {
				NamespaceSelector struct {
					MatchLabels map[string]string `yaml:"matchLabels"`
				} `yaml:"namespaceSelector"`
			} `yaml:"from"`
			Ports []struct {
				Port any `yaml:"port"`
			} `yaml:"ports"`
		} `yaml:"ingress"`
	} `yaml:"spec"`
}

type manifestProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

func loadManifest(t *testing.T, path string) map[string]manifestDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]manifestDoc{}
	dec := goyaml.NewDecoder(bytes.NewReader(data))
	for {
		var d manifestDoc
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		docs[d.Kind] = d
	}
}

// TestDeployPublicPortServesNoAdmin runs the real binary as each shipped
// Deployment configures it (BOT_ADMIN_LISTEN, on free loopback ports), then
// follows the manifests to each caller's port: the public path
// (Ingress -> Service -> container port) answers 404 for /metrics,
// /-/reload and /admin/, the port the NetworkPolicy opens to the monitoring
// namespace serves /metrics, and the probes' ports answer them.
func TestDeployPublicPortServesNoAdmin(t *testing.T) {
	for _, shape := range []string{"single", "replicas"} {
		t.Run(shape, func(t *testing.T) {
			docs := loadManifest(t, filepath.Join(moduleRoot(), "deploy", "kubernetes", shape, "autoresponder.yaml"))
			containers := docs["Deployment"].Spec.Template.Spec.Containers
			if len(containers) == 0 {
				t.Fatal("no Deployment container")
			}
			c := containers[0]
			env := map[string]string{"BOT_LISTEN": ":8080"} // the image's
			for _, e := range c.Env {
				env[e.Name] = e.Value
			}
			portOf := func(addr string) int {
				_, p, err := net.SplitHostPort(addr)
				n, perr := strconv.Atoi(p)
				if err != nil || perr != nil {
					t.Fatalf("listener %q has no port", addr)
				}
				return n
			}
			// A container port (by name or number) -> its number.
			containerPort := func(ref any) int {
				for _, p := range c.Ports {
					if fmt.Sprint(ref) == p.Name {
						return p.ContainerPort
					}
				}
				n, err := strconv.Atoi(fmt.Sprint(ref))
				if err != nil {
					t.Fatalf("port %v is not a container port of the Deployment", ref)
				}
				return n
			}

			var args []string
			if env["BOT_ADMIN_LISTEN"] != "" {
				args = []string{"--admin-listen", "127.0.0.1:0"}
			}
			bot := Start(t, Config{Args: args, Rules: RulesFile("http://127.0.0.1:1", "", "", `
  - name: noop
    when: "false"
    reply: {as: note, body: x}
`)})
			logsOnFailure(t, bot)
			// The manifest's port numbers -> where this bot listens.
			urls := map[int]string{portOf(env["BOT_LISTEN"]): bot.URL}
			if args != nil {
				m := adminListenRE.FindStringSubmatch(bot.Logs())
				if m == nil {
					t.Fatal("the serving line names no admin_listen")
				}
				urls[portOf(env["BOT_ADMIN_LISTEN"])] = "http://" + m[1]
			}
			urlOf := func(port int, who string) string {
				u, ok := urls[port]
				if !ok {
					t.Fatalf("%s reaches port %d, where the bot does not listen (BOT_LISTEN %q, BOT_ADMIN_LISTEN %q)", who, port, env["BOT_LISTEN"], env["BOT_ADMIN_LISTEN"])
				}
				return u
			}

			// The public path: Ingress -> Service port -> container port.
			svcTarget := map[string]int{}
			for _, sp := range docs["Service"].Spec.Ports {
				target := sp.TargetPort
				if target == nil {
					target = sp.Port
				}
				svcTarget[sp.Name] = containerPort(target)
				svcTarget[strconv.Itoa(sp.Port)] = svcTarget[sp.Name]
			}
			publicPaths := 0
			for _, rule := range docs["Ingress"].Spec.Rules {
				for _, p := range rule.HTTP.Paths {
					publicPaths++
					ref := p.Backend.Service.Port.Name
					if ref == "" {
						ref = strconv.Itoa(p.Backend.Service.Port.Number)
					}
					target, ok := svcTarget[ref]
					if !ok {
						t.Fatalf("the Ingress path %s leads to Service port %q, which the Service does not have", p.Path, ref)
					}
					public := urlOf(target, "the Ingress path "+p.Path)
					for _, r := range []struct{ method, path string }{
						{http.MethodGet, "/metrics"}, {http.MethodGet, "/admin/dlq"}, {http.MethodGet, "/admin/history"}, {http.MethodPost, "/-/reload"},
					} {
						if got, _ := call(t, r.method, public+r.path, true); got != http.StatusNotFound {
							t.Errorf("the public port (Ingress %s, container port %d): %s %s = %d, want 404", p.Path, target, r.method, r.path, got)
						}
					}
					// Unsigned: refused, but by the webhook route, not a 404.
					if got, _ := call(t, http.MethodPost, public+"/webhooks/intercom", false); got != http.StatusUnauthorized {
						t.Errorf("the public port: POST /webhooks/intercom unsigned = %d, want 401 from the webhook route", got)
					}
				}
			}
			if publicPaths == 0 {
				t.Fatal("the Ingress routes nothing")
			}

			// Prometheus: the port the NetworkPolicy opens to "monitoring".
			scraped := 0
			for _, rule := range docs["NetworkPolicy"].Spec.Ingress {
				monitoring := false
				for _, f := range rule.From {
					monitoring = monitoring || f.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == "monitoring"
				}
				if !monitoring {
					continue
				}
				for _, p := range rule.Ports {
					port := containerPort(p.Port)
					scraped++
					if got, body := call(t, http.MethodGet, urlOf(port, "the monitoring namespace")+"/metrics", false); got != http.StatusOK {
						t.Errorf("the port open to monitoring (%d): GET /metrics = %d\n%s", port, got, body)
					}
				}
			}
			if scraped == 0 {
				t.Error("the NetworkPolicy opens no port to the monitoring namespace")
			}

			for what, p := range map[string]*manifestProbe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
				if p == nil {
					t.Errorf("no %s probe", what)
					continue
				}
				port := containerPort(p.HTTPGet.Port)
				if got, _ := call(t, http.MethodGet, urlOf(port, "the "+what+" probe")+p.HTTPGet.Path, false); got != http.StatusOK {
					t.Errorf("the %s probe GET %s on port %d = %d, want 200", what, p.HTTPGet.Path, port, got)
				}
			}
		})
	}
}
