package notify

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The vector in docs/notifiers.md; computed independently with
//
//	printf '%s' '1700000000.{"text":"hello"}' | openssl dgst -sha256 -hmac 'test-secret' -hex
const (
	vectorSecret    = "test-secret"
	vectorTimestamp = 1700000000
	vectorBody      = `{"text":"hello"}`
	vectorSignature = "sha256=6da739e62eefd9c884903e3baad8b3138992977792f02b915b9306065dab63da"
)

func TestSignKnownAnswer(t *testing.T) {
	if got := Sign([]byte(vectorSecret), vectorTimestamp, []byte(vectorBody)); got != vectorSignature {
		t.Fatalf("Sign = %s, want %s", got, vectorSignature)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(vectorTimestamp, 0).Add(90 * time.Second)
	const skew = 5 * time.Minute
	headers := func(ts, sig string) http.Header {
		h := http.Header{}
		if ts != "" {
			h.Set(TimestampHeader, ts)
		}
		if sig != "" {
			h.Set(SignatureHeader, sig)
		}
		return h
	}
	ts := strconv.Itoa(vectorTimestamp)
	valid := headers(ts, vectorSignature)
	twoSigs := headers(ts, vectorSignature)
	twoSigs.Add(SignatureHeader, vectorSignature)
	twoStamps := headers(ts, vectorSignature)
	twoStamps.Add(TimestampHeader, ts)

	tests := []struct {
		name   string
		secret string
		header http.Header
		body   string
		now    time.Time
		want   error // nil: accepted
	}{
		{"the documented vector", vectorSecret, valid, vectorBody, now, nil},
		{"at the edge of the skew, in the past", vectorSecret, valid, vectorBody, time.Unix(vectorTimestamp, 0).Add(skew), nil},
		{"at the edge of the skew, in the future", vectorSecret, valid, vectorBody, time.Unix(vectorTimestamp, 0).Add(-skew), nil},
		{"no secret configured", "", valid, vectorBody, now, ErrNoSecret},
		{"wrong secret", "other-secret", valid, vectorBody, now, ErrSignatureMismatch},
		{"body changed", vectorSecret, valid, `{"text":"hellO"}`, now, ErrSignatureMismatch},
		{"body re-encoded with a space", vectorSecret, valid, `{"text": "hello"}`, now, ErrSignatureMismatch},
		{"replayed with a fresh timestamp", vectorSecret, headers(strconv.Itoa(vectorTimestamp+60), vectorSignature), vectorBody, now, ErrSignatureMismatch},
		{"too old", vectorSecret, valid, vectorBody, time.Unix(vectorTimestamp, 0).Add(skew + time.Second), ErrStaleTimestamp},
		{"too far in the future", vectorSecret, valid, vectorBody, time.Unix(vectorTimestamp, 0).Add(-skew - time.Second), ErrStaleTimestamp},
		{"no signature header", vectorSecret, headers(ts, ""), vectorBody, now, ErrMissingHeader},
		{"no timestamp header", vectorSecret, headers("", vectorSignature), vectorBody, now, ErrMissingHeader},
		{"two signatures", vectorSecret, twoSigs, vectorBody, now, ErrMultipleHeaders},
		{"two timestamps", vectorSecret, twoStamps, vectorBody, now, ErrMultipleHeaders},
		{"timestamp with a sign", vectorSecret, headers("+"+ts, vectorSignature), vectorBody, now, ErrBadTimestamp},
		{"timestamp in milliseconds", vectorSecret, headers(ts+"000", vectorSignature), vectorBody, now, ErrBadTimestamp},
		{"timestamp an hour old", vectorSecret, headers(strconv.Itoa(vectorTimestamp-3600), vectorSignature), vectorBody, now, ErrStaleTimestamp},
		{"timestamp not a number", vectorSecret, headers("yesterday", vectorSignature), vectorBody, now, ErrBadTimestamp},
		{"timestamp absurdly long", vectorSecret, headers("1700000000000000000000", vectorSignature), vectorBody, now, ErrBadTimestamp},
		{"uppercase hex", vectorSecret, headers(ts, "sha256=6DA739E62EEFD9C884903E3BAAD8B3138992977792F02B915B9306065DAB63DA"), vectorBody, now, ErrBadSignatureForm},
		{"no prefix", vectorSecret, headers(ts, vectorSignature[len("sha256="):]), vectorBody, now, ErrBadSignatureForm},
		{"sha1 prefix", vectorSecret, headers(ts, "sha1="+vectorSignature[len("sha256="):]), vectorBody, now, ErrBadSignatureForm},
		{"truncated", vectorSecret, headers(ts, vectorSignature[:len(vectorSignature)-2]), vectorBody, now, ErrBadSignatureForm},
		{"not hex", vectorSecret, headers(ts, vectorSignature[:len(vectorSignature)-1]+"g"), vectorBody, now, ErrBadSignatureForm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify([]byte(tt.secret), tt.header, []byte(tt.body), tt.now, skew)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify refused a valid request: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(strconv.Itoa(vectorTimestamp), vectorSignature, []byte(vectorBody))
	f.Add("+1", "sha256=", []byte{})
	f.Add("99999999999", "sha256="+string(make([]byte, 64)), []byte(`{}`))
	now := time.Unix(vectorTimestamp, 0)
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		h := http.Header{TimestampHeader: {ts}, SignatureHeader: {sig}}
		err := Verify([]byte(vectorSecret), h, body, now, 5*time.Minute)
		if err != nil {
			return
		}
		// Accepted: it must be the genuine signature for its own timestamp.
		n, perr := strconv.ParseInt(ts, 10, 64)
		if perr != nil || Sign([]byte(vectorSecret), n, body) != sig {
			t.Fatalf("accepted a forged signature %q for timestamp %q", sig, ts)
		}
	})
}
