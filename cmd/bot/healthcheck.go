package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/supportops/autoresponder/internal/app"
)

// runHealthcheck asks a running bot whether it is ready: the container
// image has no curl, so its HEALTHCHECK runs `bot healthcheck`. Exit 0 on
// a 2xx answer, 1 with a one-line reason otherwise.
func runHealthcheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("healthcheck", stderr)
	tlsOn := app.OSEnv("BOT_TLS_CERT") != ""
	defURL := defaultHealthURL(app.OSEnv("BOT_LISTEN"), tlsOn)
	url := fs.String("url", defURL, "readiness URL to ask (default from BOT_LISTEN, https when BOT_TLS_CERT is set)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: bot healthcheck [--url URL] [--timeout D]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	client := http.DefaultClient
	if *url == defURL && tlsOn {
		// The bot's own listener on loopback: its certificate names the
		// public host, not 127.0.0.1, and nothing secret is sent.
		client = &http.Client{Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, //nolint:gosec // loopback self-check
		}}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("unhealthy: %s answered %s", *url, resp.Status)
	}
	fmt.Fprintf(stdout, "healthy: %s answered %s\n", *url, resp.Status)
	return nil
}

// defaultHealthURL is /readyz on loopback at the port serve listens on
// (BOT_LISTEN, default :8080), over https when serve runs TLS.
func defaultHealthURL(listen string, tlsOn bool) string {
	if listen == "" {
		listen = app.DefaultListen
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" {
		port = "8080"
	}
	switch host {
	case "", "0.0.0.0", "::", "[::]":
		host = "127.0.0.1"
	}
	scheme := "http://"
	if tlsOn {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, port) + "/readyz"
}
