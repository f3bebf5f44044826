package chatwootfake

import "encoding/json"

// No captured Chatwoot delivery is public (PLATFORMS-NEXT.md §7.1), so the
// examples are written here to the documented shapes: Message#webhook_data
// plus "event" for message events, the conversation's push data plus
// "event" (and changed_attributes) for conversation events, a contact's
// webhook data for contact events, a contact inbox for webwidget_triggered.
// Values are made up.

// MessageCreated is a customer's message in a website-widget conversation.
const MessageCreated = `{
  "event": "message_created",
  "id": 5012,
  "content": "Hello, my invoice INV-2291 shows the wrong VAT number.",
  "created_at": "2026-03-02T09:14:27.000Z",
  "message_type": "incoming",
  "content_type": "text",
  "private": false,
  "content_attributes": {},
  "source_id": null,
  "sender": {"id": 311, "name": "Maria Lopez", "avatar": "", "type": "contact"},
  "inbox": {"id": 3, "name": "Website"},
  "conversation": {
    "additional_attributes": {
      "browser": {"browser_name": "Firefox", "browser_version": "135.0", "device_name": "Unknown", "platform_name": "Linux", "platform_version": ""},
      "referer": "https://shop.example.com/account/invoices",
      "initiated_at": {"timestamp": "Mon Mar 02 2026 10:14:10 GMT+0100 (Central European Standard Time)"}
    },
    "can_reply": true,
    "channel": "Channel::WebWidget",
    "contact_inbox": {"id": 402, "contact_id": 311, "inbox_id": 3, "source_id": "7b1f0c8e-41d2-4c8a-9a57-3f2d5e6b9c01", "created_at": "2026-03-02T09:14:10.118Z", "updated_at": "2026-03-02T09:14:10.118Z", "hmac_verified": false},
    "id": 84,
    "inbox_id": 3,
    "messages": [{
      "id": 5012, "content": "Hello, my invoice INV-2291 shows the wrong VAT number.", "account_id": 7, "inbox_id": 3,
      "conversation_id": 84, "message_type": 0, "created_at": 1772442867, "updated_at": "2026-03-02T09:14:27.301Z",
      "private": false, "status": "sent", "source_id": null, "content_type": "text", "content_attributes": {},
      "sender_type": "Contact", "sender_id": 311, "external_source_ids": {},
      "sender": {"additional_attributes": {}, "custom_attributes": {}, "email": "maria.lopez@example.org", "id": 311, "identifier": null, "name": "Maria Lopez", "phone_number": null, "thumbnail": "", "type": "contact"}
    }],
    "labels": ["billing"],
    "meta": {
      "sender": {"additional_attributes": {}, "custom_attributes": {"plan": "pro"}, "email": "maria.lopez@example.org", "id": 311, "identifier": "cust-88410", "name": "Maria Lopez", "phone_number": null, "thumbnail": "", "type": "contact"},
      "assignee": null,
      "team": null,
      "hmac_verified": false
    },
    "status": "open",
    "custom_attributes": {},
    "snoozed_until": null,
    "unread_count": 1,
    "first_reply_created_at": null,
    "priority": null,
    "waiting_since": 1772442867,
    "agent_last_seen_at": 0,
    "contact_last_seen_at": 1772442867,
    "last_activity_at": 1772442867,
    "timestamp": 1772442867,
    "created_at": 1772442850,
    "updated_at": 1772442867.412
  },
  "account": {"id": 7, "name": "Example Shop"}
}`

// ConversationCreated is a conversation started by an email, with its
// first message.
const ConversationCreated = `{
  "event": "conversation_created",
  "additional_attributes": {"mail_subject": "Refund for order 55120", "source": "email", "in_reply_to": null},
  "can_reply": true,
  "channel": "Channel::Email",
  "contact_inbox": {"id": 515, "contact_id": 377, "inbox_id": 5, "source_id": "sam@example.net", "created_at": "2026-03-03T15:02:11.540Z", "updated_at": "2026-03-03T15:02:11.540Z", "hmac_verified": false},
  "id": 91,
  "inbox_id": 5,
  "messages": [{
    "id": 5230, "content": "Hi, I returned order 55120 two weeks ago and have not had a refund yet.", "account_id": 7, "inbox_id": 5,
    "conversation_id": 91, "message_type": 0, "created_at": 1772550131, "updated_at": "2026-03-03T15:02:11.702Z",
    "private": false, "status": "sent", "source_id": "<CAF12x9@mail.example.net>", "content_type": "incoming_email",
    "content_attributes": {}, "sender_type": "Contact", "sender_id": 377, "external_source_ids": {}
  }],
  "labels": [],
  "meta": {
    "sender": {"additional_attributes": {}, "custom_attributes": {}, "email": "sam@example.net", "id": 377, "identifier": null, "name": "Sam Reed", "phone_number": null, "thumbnail": "", "type": "contact"},
    "assignee": null,
    "team": null,
    "hmac_verified": false
  },
  "status": "open",
  "custom_attributes": {},
  "snoozed_until": null,
  "unread_count": 1,
  "first_reply_created_at": null,
  "priority": "medium",
  "waiting_since": 1772550131,
  "agent_last_seen_at": 0,
  "contact_last_seen_at": 0,
  "last_activity_at": 1772550131,
  "timestamp": 1772550131,
  "created_at": 1772550131,
  "updated_at": 1772550131.88
}`

// ConversationStatusChanged is a conversation an agent resolved.
const ConversationStatusChanged = `{
  "event": "conversation_status_changed",
  "changed_attributes": [{"status": {"previous_value": "open", "current_value": "resolved"}}],
  "additional_attributes": {},
  "can_reply": true,
  "channel": "Channel::WebWidget",
  "id": 84,
  "inbox_id": 3,
  "messages": [{
    "id": 5020, "content": "Fixed, the corrected invoice is in your account.", "account_id": 7, "inbox_id": 3,
    "conversation_id": 84, "message_type": 1, "created_at": 1772443300, "private": false, "status": "sent",
    "source_id": null, "content_type": "text", "content_attributes": {}, "sender_type": "User", "sender_id": 5,
    "sender": {"id": 5, "name": "Jonas Berg", "available_name": "Jonas", "avatar_url": "", "type": "user", "availability_status": "online"}
  }],
  "labels": ["billing"],
  "meta": {
    "sender": {"additional_attributes": {}, "custom_attributes": {}, "email": "maria.lopez@example.org", "id": 311, "identifier": "cust-88410", "name": "Maria Lopez", "phone_number": null, "thumbnail": "", "type": "contact"},
    "assignee": {"id": 5, "name": "Jonas Berg", "available_name": "Jonas", "avatar_url": "", "type": "user", "availability_status": "online"},
    "team": null,
    "hmac_verified": false
  },
  "status": "resolved",
  "custom_attributes": {},
  "snoozed_until": null,
  "unread_count": 0,
  "priority": null,
  "waiting_since": 0,
  "agent_last_seen_at": 1772443301,
  "contact_last_seen_at": 1772443290,
  "last_activity_at": 1772443300,
  "timestamp": 1772443300,
  "created_at": 1772442850,
  "updated_at": 1772443320.05
}`

// ContactCreated is a contact's webhook data.
const ContactCreated = `{
  "event": "contact_created",
  "account": {"id": 7, "name": "Example Shop"},
  "additional_attributes": {"city": "Porto"},
  "avatar": "",
  "custom_attributes": {},
  "email": "ana.costa@example.com",
  "id": 402,
  "identifier": "cust-90013",
  "name": "Ana Costa",
  "phone_number": "+351910000000",
  "thumbnail": "",
  "type": "contact"
}`

// WebwidgetTriggered is a visitor opening the chat widget, with no
// conversation yet.
const WebwidgetTriggered = `{
  "event": "webwidget_triggered",
  "id": 520,
  "contact": {"id": 418, "name": "quiet-meadow-112", "avatar": "", "type": "contact"},
  "inbox": {"id": 3, "name": "Website"},
  "account": {"id": 7, "name": "Example Shop"},
  "current_conversation": null,
  "source_id": "c0d9a1e2-7f34-4b6b-8e21-5a9c2d7e4f10",
  "event_info": {"widget_language": "en", "browser_language": "en-GB", "browser": {"browser_name": "Safari", "browser_version": "18.3", "device_name": "iPhone", "platform_name": "iOS", "platform_version": "18.3"}}
}`

// LegacyMessageCreated is the shape of Chatwoot's older documentation: the
// conversation named by display_id, ids as strings.
const LegacyMessageCreated = `{
  "event": "message_created",
  "id": "1",
  "content": "Hi",
  "created_at": "2020-03-03 13:05:57 UTC",
  "message_type": "incoming",
  "content_type": "text",
  "content_attributes": {},
  "source_id": "",
  "sender": {"id": "1", "name": "contact-name", "type": "contact"},
  "contact": {"id": "1", "name": "contact-name"},
  "conversation": {"display_id": "1", "additional_attributes": {}},
  "account": {"id": "1", "name": "Chatwoot"}
}`

// variant returns base with change applied (base is one of the constants
// above; the result is compact JSON).
func variant(base string, change func(m map[string]any)) []byte {
	var m map[string]any
	if err := json.Unmarshal([]byte(base), &m); err != nil {
		panic("chatwootfake: example does not parse: " + err.Error())
	}
	change(m)
	return mustJSON(m)
}

// asMessage turns MessageCreated into another message of the same
// conversation.
func asMessage(event string, id float64, content, messageType string, private bool, sender any) []byte {
	return variant(MessageCreated, func(m map[string]any) {
		m["event"], m["id"], m["content"], m["message_type"], m["private"], m["sender"] = event, id, content, messageType, private, sender
	})
}

// agentReply is an agent's public reply.
func agentReply() []byte {
	return asMessage("message_created", 5013, "Thanks Maria, I am looking into it.", "outgoing", false,
		map[string]any{"id": 5, "name": "Jonas Berg", "email": "jonas@example.com", "type": "user"})
}

// agentNote is an agent's private note.
func agentNote() []byte {
	return asMessage("message_created", 5014, "Checked the billing system: the VAT id was mistyped.", "outgoing", true,
		map[string]any{"id": 5, "name": "Jonas Berg", "email": "jonas@example.com", "type": "user"})
}

// otherBot is another agent bot's reply.
func otherBot() []byte {
	return asMessage("message_created", 5015, "Our team usually replies within an hour.", "outgoing", false,
		map[string]any{"id": 9, "name": "Triage Bot", "type": "agent_bot"})
}

// activity is Chatwoot's own activity message: it has no sender.
func activity() []byte {
	return asMessage("message_created", 5016, "Conversation was marked resolved by Jonas Berg", "activity", false, nil)
}

// edited is the customer's message, edited.
func edited() []byte {
	return asMessage("message_updated", 5012, "Hello, my invoice INV-2291 shows the wrong VAT number (DE-1).", "incoming", false,
		map[string]any{"id": 311, "name": "Maria Lopez", "avatar": "", "type": "contact"})
}

// ownReply is the bot's own reply, posted with the agent bot's token.
func ownReply() []byte {
	return asMessage("message_created", 5017, "Thanks for writing in, we will get back to you soon.", "outgoing", false,
		map[string]any{"id": 42, "name": botName, "type": "agent_bot"})
}
