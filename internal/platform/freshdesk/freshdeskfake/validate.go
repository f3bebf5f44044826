package freshdeskfake

import (
	"encoding/json"
	"slices"
	"strings"
)

// kind is the JSON type a body key takes.
type kind int

const (
	kString kind = iota
	kBool
	kInteger
	kEmailList
)

// schema is one endpoint's documented body keys.
type schema struct {
	keys     map[string]kind
	required []string
}

// The documented bodies (attachments need multipart, which the bot does not
// send, so they are refused as unknown in a JSON body).
var schemas = map[string]schema{
	"reply": {
		keys: map[string]kind{
			"body": kString, "from_email": kString, "user_id": kInteger,
			"cc_emails": kEmailList, "bcc_emails": kEmailList,
		},
		required: []string{"body"},
	},
	"notes": {
		keys: map[string]kind{
			"body": kString, "private": kBool, "incoming": kBool,
			"notify_emails": kEmailList, "user_id": kInteger,
		},
		required: []string{"body"},
	},
}

// checkBody lists everything wrong with a body, in Freshdesk's terms.
func checkBody(endpoint string, body map[string]any) []fieldError {
	sc := schemas[endpoint]
	var errs []fieldError
	for _, k := range sc.required {
		if _, ok := body[k]; !ok {
			errs = append(errs, fieldError{k, "It should be a/an String", "missing_field"})
		}
	}
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		want, ok := sc.keys[k]
		if !ok {
			errs = append(errs, fieldError{k, "Unexpected/invalid field in request", "invalid_field"})
			continue
		}
		if msg := checkValue(want, body[k]); msg != "" {
			errs = append(errs, fieldError{k, msg, "datatype_mismatch"})
		}
	}
	if s, ok := body["body"].(string); ok && strings.TrimSpace(s) == "" {
		errs = append(errs, fieldError{"body", "It should not be blank", "invalid_value"})
	}
	return errs
}

func checkValue(want kind, v any) string {
	switch want {
	case kString:
		if _, ok := v.(string); !ok {
			return "It should be a/an String"
		}
	case kBool:
		if _, ok := v.(bool); !ok {
			return "It should be a/an Boolean"
		}
	case kInteger:
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			return "It should be a/an Positive Integer"
		}
	case kEmailList:
		list, ok := v.([]any)
		if !ok {
			return "It should be a/an Array"
		}
		for _, e := range list {
			s, ok := e.(string)
			if !ok || !strings.Contains(s, "@") {
				return "It should contain elements that are in the format of valid email addresses"
			}
		}
	}
	return ""
}
