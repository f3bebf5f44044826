package freshdeskfake

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// kind is the JSON type a body key takes.
type kind int

const (
	kString kind = iota
	kBool
	kInteger
	kEmailList
	kStringList
	kObject
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
	// PUT /api/v2/tickets/{id}: the fields an update may change. Only
	// those sent change; tags replaces the whole list.
	EndpointTicket: {
		keys: map[string]kind{
			"status": kInteger, "priority": kInteger, "tags": kStringList,
			"responder_id": kInteger, "group_id": kInteger, "custom_fields": kObject,
			"type": kString, "subject": kString, "description": kString,
			"source": kInteger, "requester_id": kInteger, "company_id": kInteger,
		},
	},
}

// The integer enums of a ticket update (custom statuses have account
// numbers of their own, which this fake's account does not have).
var enums = map[string][]int64{
	"status":   {2, 3, 4, 5},
	"priority": {1, 2, 3, 4},
	"source":   {1, 2, 3, 7, 9, 10},
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
	if endpoint == EndpointTicket {
		errs = append(errs, checkUpdate(body)...)
	}
	return errs
}

// checkUpdate checks what types alone do not: an update changes
// something, enums are in range, ids are positive, tags are not blank,
// custom fields are cf_ names with plain values.
func checkUpdate(body map[string]any) []fieldError {
	var errs []fieldError
	if len(body) == 0 {
		errs = append(errs, fieldError{"", "The request body is empty: the update changes nothing", "missing_field"})
	}
	for _, k := range []string{"status", "priority", "source"} {
		n, ok := body[k].(json.Number)
		if i, err := n.Int64(); ok && (err != nil || !slices.Contains(enums[k], i)) {
			errs = append(errs, fieldError{k, "It should be one of these values: " + joinInts(enums[k]), "invalid_value"})
		}
	}
	for _, k := range []string{"responder_id", "group_id", "requester_id", "company_id"} {
		n, ok := body[k].(json.Number)
		if i, err := n.Int64(); ok && (err != nil || i <= 0) {
			errs = append(errs, fieldError{k, "It should be a/an Positive Integer", "datatype_mismatch"})
		}
	}
	if tags, ok := body["tags"].([]any); ok {
		for _, t := range tags {
			if s, _ := t.(string); strings.TrimSpace(s) == "" {
				errs = append(errs, fieldError{"tags", "It should not contain blank values", "invalid_value"})
				break
			}
		}
	}
	if cf, ok := body["custom_fields"].(map[string]any); ok {
		names := make([]string, 0, len(cf))
		for k := range cf {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			if !strings.HasPrefix(k, "cf_") {
				errs = append(errs, fieldError{k, "Unexpected/invalid field in request", "invalid_field"})
				continue
			}
			switch cf[k].(type) {
			case string, json.Number, bool, nil:
			default:
				errs = append(errs, fieldError{k, "It should be a/an String", "datatype_mismatch"})
			}
		}
	}
	return errs
}

func joinInts(ns []int64) string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(out, ",")
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
	case kStringList:
		list, ok := v.([]any)
		if !ok {
			return "It should be a/an Array"
		}
		for _, e := range list {
			if _, ok := e.(string); !ok {
				return "It should contain elements of type String only"
			}
		}
	case kObject:
		if _, ok := v.(map[string]any); !ok {
			return "It should be a/an key/value pair"
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
