package all

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/webhook"
)

type countingDispatcher struct{ n int }

func (d *countingDispatcher) Dispatch(context.Context, *event.Event) (webhook.Result, error) {
	d.n++
	return webhook.Result{}, nil
}

// TestSignedForAnotherPlatformIsRefused: a delivery signed the way one
// platform signs, even with the very secret of the source, is a 401 at a
// source of any other platform; signed the source's own way it passes the
// signature check.
func TestSignedForAnotherPlatformIsRefused(t *testing.T) {
	secret := []byte("one-secret-for-every-source")
	sources := map[string]webhook.Source{}
	for _, p := range registry.All() {
		name := p.Spec().Name
		sources[name] = webhook.Source{Name: name, Platform: p, Secret: secret}
	}
	d := &countingDispatcher{}
	h := webhook.NewHandler(webhook.Options{
		Lookup:     func(name string) (webhook.Source, bool) { s, ok := sources[name]; return s, ok },
		Dispatcher: d,
	})
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{source}", h)
	body := []byte(`{"any":"body"}`)
	for _, signer := range registry.All() {
		for _, receiver := range registry.All() {
			req := httptest.NewRequest(http.MethodPost, "/webhooks/"+receiver.Spec().Name, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range signer.Sign(secret, body, time.Now(), nil) {
				req.Header[k] = v
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, req)
			same := signer.Spec().Name == receiver.Spec().Name
			switch {
			case !same && w.Code != http.StatusUnauthorized:
				t.Errorf("signed as %s, sent to a %s source: %d %s; want 401", signer.Spec().Name, receiver.Spec().Name, w.Code, w.Body)
			case same && w.Code == http.StatusUnauthorized:
				t.Errorf("signed as %s, sent to its own source: 401 %s", signer.Spec().Name, w.Body)
			}
		}
	}
	if d.n != 0 {
		t.Errorf("%d deliveries reached the dispatcher; the body is no event of any platform", d.n)
	}
}
