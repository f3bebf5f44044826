package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/all"
)

// baselineCommand is the hidden subcommand loadgen runs itself as to serve
// the baseline in a process of its own, as the bot runs in its own.
const baselineCommand = "baseline-server"

// baselineHandler is the least a webhook receiver can do: read the body,
// check its signature with the platform's own Verify (the bot's check,
// nothing more), decode the JSON into a map and answer 200. Its throughput
// is this machine's ceiling for the bot's intake.
func baselineHandler(p platform.Platform, secret []byte) http.Handler {
	bufs := sync.Pool{New: func() any { return new(bytes.Buffer) }}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/{source}", func(w http.ResponseWriter, r *http.Request) {
		buf := bufs.Get().(*bytes.Buffer)
		defer bufs.Put(buf)
		buf.Reset()
		if _, err := buf.ReadFrom(r.Body); err != nil {
			http.Error(w, `{"error":"reading body"}`, http.StatusBadRequest)
			return
		}
		body := buf.Bytes()
		if err := p.Verify(&platform.Delivery{Header: r.Header, Body: body, Secret: secret, Now: time.Now()}); err != nil {
			http.Error(w, `{"error":"bad signature"}`, http.StatusUnauthorized)
			return
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			http.Error(w, `{"error":"not JSON"}`, http.StatusBadRequest)
			return
		}
		id, _ := v["id"].(string)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"accepted","event_id":%q,"actions":0}`+"\n", id)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"status":"ready"}`+"\n")
	})
	return mux
}

// serveBaseline runs the baseline server until SIGTERM or SIGINT.
func serveBaseline(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet(baselineCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to serve on")
	kind := fs.String("platform", "", "platform kind whose Verify checks the deliveries")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, ok := all.Registry().Lookup(*kind)
	if !ok {
		return fmt.Errorf("--platform: no platform %q", *kind)
	}
	secret := os.Getenv(secretEnv)
	if secret == "" {
		return fmt.Errorf("%s is not set", secretEnv)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           baselineHandler(p, []byte(secret)),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       90 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
