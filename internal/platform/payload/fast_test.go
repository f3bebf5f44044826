package payload

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// fastSeeds are bodies whose decoding fastDecode must get exactly right or
// leave to encoding/json.
var fastSeeds = []string{
	`{}`, `[]`, `{"a":[]}`, `{"a":{}}`, ` {"a" : 1 , "b":[1, 2.5, -0, 1e3, 1E-2, -12.5e+2]} `,
	`{"s":"plain","t":true,"f":false,"n":null}`,
	`{"esc":"a\"b\\c\/d\b\f\n\r\t"}`,
	`{"u":"\u00e9\u4e2d\uD83D\uDE00"}`,              // BMP and a surrogate pair
	`{"lone":"\uD83D x \uDE00 \uD83D\uD83D\uDE00"}`, // halves alone are U+FFFD
	`{"dup":1,"dup":2}`,
	`{"nul":"a\u0000b"}`,            // NUL: the slow path replaces it
	`{"id":9007199254740993}`,       // beyond 2^53: the exact path
	`{"id":"12345678901234567890"}`, // long digits in a string only
	`{"x":1e400}`,                   // out of range
	`{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":+1}`,
	`{"a":tru}`, `{"a":nul}`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `{"a":1}x`, `{"a":"x`, "{\"a\":\"\x01\"}",
	`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, `{'a':1}`, `{"a":[1 2]}`, `"s"`, `1`, `null`,
	strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth),
	strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
	"{\"a\":\"\xe2\x82\xac\",\"b\":\"日本\"}",
}

// checkFast compares fastDecode with json.Unmarshal on one body: when
// fastDecode answers, encoding/json must accept the body and build the same
// tree; when it declines, there must be a reason it is allowed to.
func checkFast(t *testing.T, body []byte) {
	t.Helper()
	if !utf8.Valid(body) {
		return // Decode refuses these first
	}
	got, ok := fastDecode(body)
	var want any
	err := json.Unmarshal(body, &want)
	if ok {
		if err != nil {
			t.Fatalf("fastDecode accepted %q; encoding/json: %v", body, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("fastDecode(%q) = %#v, encoding/json %#v", body, got, want)
		}
		return
	}
	// Declining is only allowed for what the slow path handles.
	if err == nil && !hasLongDigitRun(body) && !bytes.Contains(body, []byte(`\u0000`)) && depthWithin(body, MaxDepth) {
		t.Fatalf("fastDecode declined %q, which encoding/json decodes", body)
	}
}

func TestFastDecode(t *testing.T) {
	for _, s := range fastSeeds {
		t.Run(s[:min(len(s), 24)], func(t *testing.T) { checkFast(t, []byte(s)) })
	}
}

// TestDecodeSlowCases: what fastDecode leaves to encoding/json still comes
// out as it always did.
func TestDecodeSlowCases(t *testing.T) {
	for _, tc := range []struct {
		body string
		key  string
		want any
		err  string
	}{
		{body: `{"id":9007199254740993}`, key: "id", want: int64(9007199254740993)},
		{body: `{"s":"a\u0000b"}`, key: "s", want: "a\uFFFDb"},
		{body: `{"x":1e400}`, err: "not JSON: number 1e400 is out of range"},
		{body: `{"x":1,}`, err: "not JSON: invalid character '}' looking for beginning of object key string"},
		{body: `[1]`, err: "body must be a JSON object, not an array"},
	} {
		t.Run(tc.body, func(t *testing.T) {
			root, err := Decode([]byte(tc.body))
			if tc.err != "" {
				if err == nil || err.Error() != "bad webhook payload: "+tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := root[tc.key]; got != tc.want {
				t.Fatalf("%s = %#v, want %#v", tc.key, got, tc.want)
			}
		})
	}
}

func FuzzFastDecode(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFast(t, body)
	})
}

// BenchmarkDecode decodes a 5 KB Intercom-like notification.
func BenchmarkDecode(b *testing.B) {
	parts := make([]string, 0, 12)
	for i := range 12 {
		parts = append(parts, `{"type":"conversation_part","id":"`+strings.Repeat("7", 9)+`","part_type":"comment","body":"<p>Hello \u00e9 there, part `+strings.Repeat("x", i)+`</p>","created_at":1767225600,"author":{"type":"admin","id":"814860","name":"Support","email":"s@example.com"},"attachments":[],"redacted":false}`)
	}
	body := []byte(`{"type":"notification_event","app_id":"abc","topic":"conversation.admin.replied","id":"notif_1","created_at":1767225600,"data":{"type":"notification_event_data","item":{"type":"conversation","id":"9100000001","state":"open","custom_attributes":{"plan":"pro","seats":12},"tags":{"type":"tag.list","tags":[{"type":"tag","id":"1","name":"billing"}]},"conversation_parts":{"type":"conversation_part.list","conversation_parts":[` + strings.Join(parts, ",") + `]}}}}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}
