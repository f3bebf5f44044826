package replier

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestUnversionedRequestsUpgrade: a job stored before the format had a
// version keeps its platform fields at the top level; decoding moves them
// into Fields, the quick-reply uuids with them.
func TestUnversionedRequestsUpgrade(t *testing.T) {
	cases := []struct {
		name string
		json string
		want Request
	}{
		{"quick reply", `{"platform":"ic","as":"quick_reply","target":{"type":"conversation","id":"1"},"options":[{"text":"Yes","uuid":"u1"},{"text":"No","uuid":"u2"}],"skip_notifications":true}`,
			Request{V: RequestVersion, Platform: "ic", As: "quick_reply", Target: conv("1"), Fields: map[string]Value{
				"options": {List: []string{"Yes", "No"}}, "option_uuids": {List: []string{"u1", "u2"}}, "skip_notifications": {Bool: true}}}},
		{"contact reply", `{"platform":"ic","as":"contact_reply","target":{"type":"conversation","id":"last"},"body":"b","contact":{"email":"a@b.c"},"attachment_urls":["https://x/a.png"],"cross_post":false}`,
			Request{V: RequestVersion, Platform: "ic", As: "contact_reply", Target: conv("last"), Body: "b", Fields: map[string]Value{
				"contact": {Map: map[string]string{"email": "a@b.c"}}, "attachment_urls": {List: []string{"https://x/a.png"}}}}},
		{"sender, custom fields, status", `{"platform":"wh","as":"comment","target":{"type":"ticket","id":"5"},"body":"b","markdown":true,"from":{"contact_id":"5","name":"Desk"},"custom_fields":{"7":"x","8":""},"status":"Answered","no_email":true}`,
			Request{V: RequestVersion, Platform: "wh", As: "comment", Target: ticket("5"), Body: "b", Fields: map[string]Value{
				"markdown": {Bool: true}, "from": {Map: map[string]string{"contact_id": "5", "name": "Desk"}},
				"custom_fields": {Map: map[string]string{"7": "x", "8": ""}}, "status": {Text: "Answered"}, "no_email": {Bool: true}}}},
		{"nothing platform-specific", `{"platform":"wh","as":"note","target":{"type":"ticket","id":"5"},"body":"b"}`,
			Request{V: RequestVersion, Platform: "wh", As: "note", Target: ticket("5"), Body: "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got Request
			if err := json.Unmarshal([]byte(c.json), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("decoded\n %+v\nwant\n %+v", got, c.want)
			}
		})
	}
}

// TestVersionedRequestsRoundTrip: the current format decodes to what was
// encoded, and top-level keys of the old format are not read in it.
func TestVersionedRequestsRoundTrip(t *testing.T) {
	in := Request{V: RequestVersion, Platform: "ic", As: "note", Target: ticket("9"), Body: "b",
		Fields: map[string]Value{"cross_post": {Bool: true}, "options": {List: []string{"a"}}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Request
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip:\n %+v\n %+v", in, out)
	}
	var v2 Request
	if err := json.Unmarshal([]byte(`{"v":2,"as":"note","status":"Closed"}`), &v2); err != nil {
		t.Fatal(err)
	}
	if v2.Fields != nil {
		t.Errorf("a v2 request read a top-level field: %+v", v2.Fields)
	}
}
