package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
	"github.com/supportops/autoresponder/internal/rules"
	"github.com/supportops/autoresponder/internal/webhook"
)

// runtime is everything built from one rules file: swapped whole on reload.
type runtime struct {
	rules      *rules.Ruleset
	ruleByName map[string]*rules.Rule
	repliers   map[string]replier.Replier
	sources    map[string]webhook.Source
}

// secretReader resolves *_env and *_file settings.
type secretReader struct {
	env      Env
	readFile func(string) ([]byte, error)
	dir      string // relative files resolve against the rules file
}

func newSecretReader(env Env, rulesPath string) secretReader {
	return secretReader{env: env, readFile: os.ReadFile, dir: filepath.Dir(rulesPath)}
}

// path resolves a secret file name against the rules file's directory.
func (s secretReader) path(file string) string {
	if filepath.IsAbs(file) {
		return file
	}
	return filepath.Join(s.dir, file)
}

// files lists the secret files rs names, resolved, sorted.
func (s secretReader) files(rs *rules.Ruleset) []string {
	var out []string
	for _, src := range rs.Sources {
		if src.Config.SecretEnv == "" && src.Config.SecretFile != "" {
			out = append(out, s.path(src.Config.SecretFile))
		}
	}
	for _, p := range rs.Platforms {
		for _, ref := range p.Secrets {
			if ref.Env == "" && ref.File != "" {
				out = append(out, s.path(ref.File))
			}
		}
	}
	for _, n := range rs.Config.Notifiers {
		if n == nil {
			continue
		}
		if n.URL == "" && n.URLEnv == "" && n.URLFile != "" {
			out = append(out, s.path(n.URLFile))
		}
		if n.SecretEnv == "" && n.SecretFile != "" {
			out = append(out, s.path(n.SecretFile))
		}
	}
	sort.Strings(out)
	return out
}

// read returns the secret named by an env var or file. Errors name the
// variable or file, never the value.
func (s secretReader) read(what, envName, file string) ([]byte, error) {
	if envName != "" {
		v := s.env(envName)
		if v == "" {
			return nil, fmt.Errorf("%s: environment variable %s is not set", what, envName)
		}
		return []byte(v), nil
	}
	if file != "" {
		p := s.path(file)
		b, err := s.readFile(p)
		if err != nil {
			return nil, fmt.Errorf("%s: read secret file %s: %w", what, p, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return nil, fmt.Errorf("%s: secret file %s is empty", what, p)
		}
		return []byte(v), nil
	}
	return nil, nil
}

// buildRuntime resolves secrets and builds a replier per platform. With
// dryRun every platform prints instead of sending and needs no token.
// Every missing or broken setting is reported at once, sorted, so one
// restart can fix them all.
func buildRuntime(rs *rules.Ruleset, secrets secretReader, dryRun bool, client *http.Client, logOut io.Writer) (*runtime, error) {
	rt := &runtime{rules: rs, ruleByName: map[string]*rules.Rule{}, repliers: map[string]replier.Replier{}, sources: map[string]webhook.Source{}}
	for _, r := range rs.Rules {
		rt.ruleByName[r.Name] = r
	}
	var problems []string
	for name, s := range rs.Sources {
		secret, err := secrets.read("source "+name, s.Config.SecretEnv, s.Config.SecretFile)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		rt.sources[name] = webhook.Source{Name: name, Platform: s.Impl, Settings: s.Settings, Secret: secret, InsecureSkipVerify: s.Config.InsecureSkipVerify}
	}
	for name, p := range rs.Platforms {
		r, err := buildReplier(p, rs.Settings, secrets, dryRun, client, logOut)
		if err != nil {
			problems = append(problems, fmt.Sprintf("platform %s: %v", name, err))
			continue
		}
		rt.repliers[name] = r
	}
	notifiers, probs := buildNotifiers(rs, secrets, dryRun, logOut)
	problems = append(problems, probs...)
	for key, r := range notifiers {
		rt.repliers[key] = r
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		errs := make([]error, len(problems))
		for i, p := range problems {
			errs[i] = errors.New(p)
		}
		return nil, errors.Join(errs...)
	}
	return rt, nil
}

func buildReplier(p *rules.Platform, lim rules.Limits, secrets secretReader, dryRun bool, client *http.Client, logOut io.Writer) (replier.Replier, error) {
	switch {
	case p.Impl == nil && dryRun:
		return dryRunLog{replier.NewLog(p.Name, logOut)}, nil
	case p.Impl == nil:
		return replier.NewLog(p.Name, logOut), nil
	case dryRun:
		// The real replier builds the request; the dry-run client stops
		// and prints it. Secrets are printed redacted, so none is needed.
		real, err := p.Impl.NewReplier(account(p, lim, replier.DryRunClient(), func(string) ([]byte, error) {
			return []byte(replier.DryRunToken), nil
		}))
		if err != nil {
			return nil, err
		}
		return replier.NewDryRun(p.Name, real, logOut), nil
	}
	// Every secret is read now, so that a missing one fails the load
	// rather than the first send.
	values := map[string][]byte{}
	for key, ref := range p.Secrets {
		v, err := secrets.read(key, ref.Env, ref.File)
		if err != nil {
			return nil, err
		}
		values[key] = v
	}
	return p.Impl.NewReplier(account(p, lim, client, func(key string) ([]byte, error) {
		v, ok := values[key]
		if !ok {
			return nil, fmt.Errorf("%s is not configured (set %s_env or %s_file)", key, key, key)
		}
		return v, nil
	}))
}

// account is what a platform builds its replier from.
func account(p *rules.Platform, lim rules.Limits, client *http.Client, secret func(string) ([]byte, error)) *platform.Account {
	return &platform.Account{
		Name: p.Name, BaseURL: p.BaseURL, Settings: p.Settings, Secret: secret,
		Client: client, Timeout: lim.Timeout, Now: time.Now,
	}
}

// dryRunLog is a log platform in a dry run: it prints as always, and its
// replies are recorded as dry_run like every other platform's.
type dryRunLog struct{ *replier.Log }

func (d dryRunLog) Send(ctx context.Context, req *replier.Request) (replier.Result, error) {
	res, err := d.Log.Send(ctx, req)
	if err == nil {
		res.Withheld = replier.WithheldDryRun
	}
	return res, err
}

// ReadSecret resolves a secret the way serve does (for tools like bot send).
func ReadSecret(env Env, rulesPath, what, envName, file string) ([]byte, error) {
	b, err := newSecretReader(env, rulesPath).read(what, envName, file)
	if err == nil && b == nil {
		err = fmt.Errorf("%s has no secret configured", what)
	}
	return b, err
}
