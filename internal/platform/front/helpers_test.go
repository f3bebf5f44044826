package front_test

import (
	"net/http"
	"strconv"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
)

func settings(kv ...string) *platform.Settings {
	s := &platform.Settings{Values: map[string]string{}, Secrets: map[string]bool{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Values[kv[i]] = kv[i+1]
	}
	return s
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func delivery(h http.Header, body []byte, secret string, now time.Time, set *platform.Settings) *platform.Delivery {
	return &platform.Delivery{Header: h, Body: body, Secret: []byte(secret), Settings: set, Now: now}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
