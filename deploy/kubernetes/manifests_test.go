// Package kubernetes holds the deployment manifests; this test keeps them
// consistent with the bot (probes, grace periods, rules that load).
package kubernetes

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goyaml "github.com/goccy/go-yaml"

	"github.com/supportops/autoresponder/internal/rules"
)

type doc = map[string]any

func load(t *testing.T, path string) []doc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := goyaml.NewDecoder(bytes.NewReader(data))
	var docs []doc
	for {
		var d doc
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, d)
	}
}

func kind(docs []doc, k string) doc {
	for _, d := range docs {
		if d["kind"] == k {
			return d
		}
	}
	return nil
}

// get walks a path of map keys and list indexes.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestManifests(t *testing.T) {
	cases := []struct {
		file         string
		wantReplicas uint64
		wantPDB      bool
		wantDB       bool
	}{
		{"single/autoresponder.yaml", 1, false, false},
		{"replicas/autoresponder.yaml", 3, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			docs := load(t, filepath.FromSlash(tc.file))
			dep := kind(docs, "Deployment")
			if dep == nil {
				t.Fatal("no Deployment")
			}
			if got := get(dep, "spec", "replicas"); got != tc.wantReplicas {
				t.Errorf("replicas = %v, want %d", got, tc.wantReplicas)
			}
			if tc.wantReplicas == 1 && get(dep, "spec", "strategy", "type") != "Recreate" {
				t.Error("the embedded store is owned by one process: the single-replica Deployment must use Recreate")
			}
			c := get(dep, "spec", "template", "spec", "containers", 0)
			if p := get(c, "readinessProbe", "httpGet", "path"); p != "/readyz" {
				t.Errorf("readiness probe path = %v, want /readyz", p)
			}
			if p := get(c, "livenessProbe", "httpGet", "path"); p != "/healthz" {
				t.Errorf("liveness probe path = %v, want /healthz", p)
			}
			grace := time.Duration(0)
			for _, e := range get(c, "env").([]any) {
				if get(e, "name") == "BOT_SHUTDOWN_GRACE" {
					grace, _ = time.ParseDuration(get(e, "value").(string))
				}
			}
			if grace == 0 {
				t.Fatal("BOT_SHUTDOWN_GRACE is not set")
			}
			preStop := time.Duration(0)
			if s, ok := get(c, "lifecycle", "preStop", "sleep", "seconds").(uint64); ok {
				preStop = time.Duration(s) * time.Second
			}
			term, _ := get(dep, "spec", "template", "spec", "terminationGracePeriodSeconds").(uint64)
			if time.Duration(term)*time.Second <= grace+preStop {
				t.Errorf("terminationGracePeriodSeconds %d must exceed BOT_SHUTDOWN_GRACE %s plus preStop %s", term, grace, preStop)
			}
			pdb := kind(docs, "PodDisruptionBudget")
			if tc.wantPDB {
				if pdb == nil {
					t.Error("no PodDisruptionBudget")
				} else if m, _ := get(pdb, "spec", "minAvailable").(uint64); m == 0 || m >= tc.wantReplicas {
					t.Errorf("PDB minAvailable = %v with %d replicas", m, tc.wantReplicas)
				}
			}
			secret := kind(docs, "Secret")
			_, hasDB := get(secret, "stringData").(map[string]any)["BOT_DATABASE_URL"]
			if hasDB != tc.wantDB {
				t.Errorf("BOT_DATABASE_URL in the secret: %v, want %v", hasDB, tc.wantDB)
			}
			cm := kind(docs, "ConfigMap")
			src, _ := get(cm, "data", "rules.yaml").(string)
			if _, err := rules.Load([]byte(src), tc.file+" (ConfigMap rules.yaml)", rules.Options{}); err != nil {
				t.Errorf("the ConfigMap's rules do not load:\n%v", err)
			}
			if !strings.Contains(src, "secret_env") {
				t.Error("rules must take secrets from the environment")
			}
		})
	}
}
