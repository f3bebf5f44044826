package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/supportops/autoresponder/internal/app"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/rules"
)

// runSend signs a payload file with a source's secret, exactly as the
// platform would, and posts it to a running bot: the quickest way to see a
// rule fire without a helpdesk account.
func runSend(reg *platform.Registry, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("send", stderr)
	rulesPath := fs.String("rules", app.OSEnv.String("BOT_RULES", app.DefaultRulesPath), "rules file naming the source and its secret (env BOT_RULES)")
	source := fs.String("source", "", "source to post as (required)")
	url := fs.String("url", "http://localhost:8080", "base URL of the running bot")
	var headers headerFlag
	fs.Var(&headers, "header", "a header to send besides the signature's, 'Name: value' (the platform's docs say which it needs); repeatable; replaces a header of the same name that send sets")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bot send --source NAME [--header 'Name: value']... [--rules FILE] [--url URL] payload.json")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *source == "" || len(files) != 1 {
		fs.Usage()
		return exitError{2}
	}
	rs, err := rules.LoadFile(*rulesPath, rules.Options{Platforms: reg})
	if err != nil {
		return err
	}
	src, ok := rs.Sources[*source]
	if !ok {
		return fmt.Errorf("no source %q in %s", *source, *rulesPath)
	}
	body, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, *url+"/webhooks/"+src.Name, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if !src.Config.InsecureSkipVerify {
		secret, err := app.ReadSecret(app.OSEnv, *rulesPath, "source "+src.Name, src.Config.SecretEnv, src.Config.SecretFile)
		if err != nil {
			return err
		}
		for k, v := range src.Impl.Sign(secret, body, time.Now(), src.Settings) {
			req.Header[k] = v
		}
	}
	// Given last: what the user asks for wins over what send sets itself
	// (a delivery id to replay, a content type to test).
	for k, v := range headers.header() {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	fmt.Fprintf(stdout, "%s\n%s", resp.Status, out)
	if resp.StatusCode >= 300 {
		if hint := missingHeaderHint(src.Impl, req.Header); hint != "" && resp.StatusCode == http.StatusBadRequest {
			fmt.Fprintf(stderr, "bot send: %s\n", hint)
		}
		return exitError{1}
	}
	return nil
}
