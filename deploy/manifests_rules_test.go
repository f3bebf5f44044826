// Package deploy holds the deployment kit (Kubernetes manifests, Prometheus
// and Grafana files). These tests tie it to the bot's own code; the strict
// Kubernetes checks are in the nested module under kubernetes/, which .ci/run
// runs, so that the bot's go.mod stays free of the Kubernetes dependencies.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goyaml "github.com/goccy/go-yaml"

	"github.com/supportops/autoresponder/internal/platform/all"
	"github.com/supportops/autoresponder/internal/rules"
)

type doc = map[string]any

// loadYAML decodes every document of a file, loosely: the strict decoding
// with the Kubernetes types is the nested module's job.
func loadYAML(t *testing.T, path string) []doc {
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
		if d != nil {
			docs = append(docs, d)
		}
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

// TestManifestRulesLoad: the rules the manifests ship in their ConfigMap
// load with the bot's own loader, and take secrets from the environment.
func TestManifestRulesLoad(t *testing.T) {
	for _, file := range []string{"kubernetes/single/autoresponder.yaml", "kubernetes/replicas/autoresponder.yaml"} {
		t.Run(file, func(t *testing.T) {
			cm := kind(loadYAML(t, filepath.FromSlash(file)), "ConfigMap")
			src, _ := get(cm, "data", "rules.yaml").(string)
			if _, err := rules.Load([]byte(src), file+" (ConfigMap rules.yaml)", rules.Options{Platforms: all.Registry()}); err != nil {
				t.Errorf("the ConfigMap's rules do not load:\n%v", err)
			}
			if !strings.Contains(src, "secret_env") {
				t.Error("rules must take secrets from the environment")
			}
		})
	}
}
