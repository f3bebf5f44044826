package e2e

import (
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	goyaml "github.com/goccy/go-yaml"
)

// dockerInstructions returns the Dockerfile's instructions with their
// continuation lines joined, comments dropped.
func dockerInstructions(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(moduleRoot(), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

// execForm parses the JSON array of an instruction in exec form.
func execForm(t *testing.T, instruction, rest string) []string {
	t.Helper()
	var argv []string
	if err := json.Unmarshal([]byte(rest), &argv); err != nil || len(argv) == 0 {
		t.Fatalf("%s %s: want the exec form [\"...\"] (distroless has no shell): %v", instruction, rest, err)
	}
	return argv
}

// TestDockerHealthcheck runs the image's HEALTHCHECK command, exactly as
// the Dockerfile writes it, with the real binary: it must pass against a
// ready bot and fail once the bot is gone. The image is distroless, so the
// command must be the bot itself in exec form.
func TestDockerHealthcheck(t *testing.T) {
	var entrypoint, check []string
	listen := ""
	for _, ins := range dockerInstructions(t) {
		word, rest, _ := strings.Cut(ins, " ")
		switch strings.ToUpper(word) {
		case "ENTRYPOINT":
			entrypoint = execForm(t, word, rest)
		case "HEALTHCHECK":
			_, cmd, ok := strings.Cut(rest, "CMD ")
			if !ok {
				t.Fatalf("HEALTHCHECK %s: no CMD", rest)
			}
			check = execForm(t, word, strings.TrimSpace(cmd))
		case "ENV":
			if m := regexp.MustCompile(`\bBOT_LISTEN=(\S+)`).FindStringSubmatch(rest); m != nil {
				listen = m[1]
			}
		}
	}
	if check == nil {
		t.Fatal("the Dockerfile has no HEALTHCHECK")
	}
	if entrypoint == nil || check[0] != entrypoint[0] {
		t.Fatalf("HEALTHCHECK runs %q, not the image's bot %q", check[0], entrypoint)
	}
	if _, port, err := net.SplitHostPort(listen); err != nil || port == "" {
		t.Fatalf("the image's BOT_LISTEN %q has no port for the healthcheck to use", listen)
	}
	bot := Start(t, Config{Rules: RulesFile("http://127.0.0.1:1", "", "", `
  - name: noop
    when: "false"
    reply: {as: note, body: x}
`)})
	u, err := url.Parse(bot.URL)
	if err != nil {
		t.Fatal(err)
	}
	// In the image BOT_LISTEN is ":8080" and the check asks 127.0.0.1 at
	// that port; here the bot listens on a free port, so BOT_LISTEN says
	// which one. No other argument is added.
	env := []string{"BOT_LISTEN=" + u.Host}
	if code, out := Run(t, t.TempDir(), env, check[1:]...); code != 0 {
		t.Fatalf("HEALTHCHECK %q against a ready bot: exit %d\n%s", check, code, out)
	}
	if err, _ := bot.Stop(30 * time.Second); err != nil {
		t.Logf("bot exit: %v", err)
	}
	if code, out := Run(t, t.TempDir(), env, check[1:]...); code == 0 {
		t.Fatalf("HEALTHCHECK %q passes with the bot stopped:\n%s", check, out)
	}
}

// TestRulesRepoWorkflow: the example CI workflow for a rules repository
// (examples/rules-repo) runs every `bot` command it names with the real
// binary, on the example repository, and installs the bot from this
// module's cmd/bot. So the workflow cannot drift from the bot's commands
// and flags, and the README's path from a rules change to production stays
// true.
func TestRulesRepoWorkflow(t *testing.T) {
	repo := filepath.Join(moduleRoot(), "examples", "rules-repo")
	data, err := os.ReadFile(filepath.Join(repo, ".github", "workflows", "rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string `yaml:"name"`
				Run  string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := goyaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("rules.yml: %v", err)
	}
	gomod, err := os.ReadFile(filepath.Join(moduleRoot(), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	module := regexp.MustCompile(`(?m)^module (\S+)`).FindSubmatch(gomod)[1]
	manifest, err := os.ReadFile(filepath.Join(moduleRoot(), "deploy", "kubernetes", "single", "autoresponder.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	ran := map[string]bool{}
	for job, j := range wf.Jobs {
		for _, step := range j.Steps {
			for _, line := range strings.Split(step.Run, "\n") {
				fields := strings.Fields(line)
				if len(fields) == 0 {
					continue
				}
				switch {
				case fields[0] == "bot":
					if strings.ContainsAny(line, `"'$|;&<>`+"`") {
						t.Errorf("job %s step %q: %q: keep bot commands free of shell syntax so this test runs them as written", job, step.Name, line)
						continue
					}
					code, out := Run(t, repo, nil, fields[1:]...)
					if code != 0 {
						t.Errorf("job %s step %q: %s: exit %d\n%s", job, step.Name, line, code, out)
					}
					ran[strings.Join(fields[:2], " ")] = true
				case len(fields) >= 3 && fields[0] == "go" && fields[1] == "install":
					pkg, _, _ := strings.Cut(fields[2], "@")
					if pkg != string(module)+"/cmd/bot" {
						t.Errorf("job %s installs %s, not this module's bot %s/cmd/bot", job, pkg, module)
					}
					ran["go install"] = true
				case strings.HasPrefix(line, "kubectl create configmap"):
					name := fields[3]
					if !strings.Contains(string(manifest), "name: "+name+"\n") || !strings.Contains(line, "--from-file=rules.yaml") {
						t.Errorf("job %s replaces ConfigMap %s from %q; the manifests mount ConfigMap autoresponder-rules, key rules.yaml", job, name, line)
					}
					ran["kubectl create configmap"] = true
				}
			}
		}
	}
	for _, want := range []string{"go install", "bot check", "bot test", "kubectl create configmap"} {
		if !ran[want] {
			t.Errorf("the workflow no longer runs %s", want)
		}
	}
	if code, out := Run(t, repo, nil, "check", "--strict", "rules.yaml"); code != 0 || !strings.Contains(out, "SUCCESS") {
		t.Errorf("the example rules do not pass bot check --strict: exit %d\n%s", code, out)
	}
}
