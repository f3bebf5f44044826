// Package metrics defines every Prometheus metric the bot exports. One
// Metrics value is built in main on the bot's own registry and handed to the
// packages that count things; tests build their own.
package metrics

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

const namespace = "autoresponder"

// Webhook outcomes (label "outcome" of WebhooksTotal).
const (
	OutcomeAccepted      = "accepted"
	OutcomeDuplicate     = "duplicate"
	OutcomeIgnored       = "ignored"
	OutcomeBadSignature  = "bad_signature"
	OutcomeBadRequest    = "bad_request"
	OutcomeUnknownSource = "unknown_source"
	OutcomeMisconfigured = "misconfigured"
	OutcomeBusy          = "busy"
	OutcomeStoreError    = "store_error"
	OutcomeInternalError = "internal_error"
)

// IntakeOutcome is one way a webhook request ends: the HTTP status it is
// answered with and the outcome label it is counted under. Several
// outcomes can share a label (every refusal of a broken request is
// bad_request) but never a label and a different meaning.
type IntakeOutcome struct {
	Name   string // what happened, for code and docs
	Status int    // HTTP status of the answer
	Label  string // label "outcome" of autoresponder_webhook_requests_total
}

// The intake outcomes. The webhook handler answers and counts with them;
// IntakeOutcomes lists them for docs and for initialising series to 0.
var (
	IntakeAccepted         = IntakeOutcome{"accepted", 200, OutcomeAccepted}
	IntakeDuplicate        = IntakeOutcome{"duplicate", 200, OutcomeDuplicate}
	IntakeIgnored          = IntakeOutcome{"ignored", 200, OutcomeIgnored}
	IntakeBadRequest       = IntakeOutcome{"bad_request", 400, OutcomeBadRequest}
	IntakeBadSignature     = IntakeOutcome{"bad_signature", 401, OutcomeBadSignature}
	IntakeUnknownSource    = IntakeOutcome{"unknown_source", 404, OutcomeUnknownSource}
	IntakeMethodNotAllowed = IntakeOutcome{"method_not_allowed", 405, OutcomeBadRequest}
	IntakeTooLarge         = IntakeOutcome{"too_large", 413, OutcomeBadRequest}
	IntakeUnsupportedType  = IntakeOutcome{"unsupported_media_type", 415, OutcomeBadRequest}
	// IntakeNoSecret: a signed source has no secret configured, so no
	// delivery can be verified (401, as for any unverifiable delivery, but
	// counted as the operator's problem, not the sender's).
	IntakeNoSecret = IntakeOutcome{"no_secret", 401, OutcomeMisconfigured}
	// IntakeMisconfigured: the source's kind is unusable; the operator
	// must fix the configuration, the platform retries meanwhile.
	IntakeMisconfigured = IntakeOutcome{"misconfigured", 500, OutcomeMisconfigured}
	// IntakeBusy: the bodies in flight already fill the memory set aside
	// for them (Retry-After).
	IntakeBusy = IntakeOutcome{"busy", 503, OutcomeBusy}
	// IntakeStoreError: the event was not stored (Retry-After).
	IntakeStoreError = IntakeOutcome{"store_error", 503, OutcomeStoreError}
	// IntakeInternalError: a panic; whether the event was stored is unknown.
	IntakeInternalError = IntakeOutcome{"internal_error", 500, OutcomeInternalError}
)

// IntakeOutcomes returns every intake outcome.
func IntakeOutcomes() []IntakeOutcome {
	return []IntakeOutcome{
		IntakeAccepted, IntakeDuplicate, IntakeIgnored, IntakeBadRequest, IntakeBadSignature,
		IntakeUnknownSource, IntakeMethodNotAllowed, IntakeTooLarge, IntakeUnsupportedType,
		IntakeNoSecret, IntakeMisconfigured, IntakeBusy, IntakeStoreError, IntakeInternalError,
	}
}

// WebhookOutcomes lists every value of the "outcome" label of
// WebhooksTotal, once each, in the order of IntakeOutcomes.
func WebhookOutcomes() []string {
	var labels []string
	for _, o := range IntakeOutcomes() {
		if !slices.Contains(labels, o.Label) {
			labels = append(labels, o.Label)
		}
	}
	return labels
}

// Reply outcomes (label "outcome" of RepliesTotal).
const (
	ReplySent         = "sent"
	ReplyRetried      = "retried"
	ReplyDeadLettered = "dead_lettered"
	ReplySuppressed   = "suppressed"
	ReplyShadow       = "shadow"
	ReplyDryRun       = "dry_run"
)

// ReplyOutcomes lists every reply outcome.
var ReplyOutcomes = []string{ReplySent, ReplyRetried, ReplyDeadLettered, ReplySuppressed, ReplyShadow, ReplyDryRun}

// Timer events (label "outcome" of TimerEvents).
const (
	TimerStarted   = "started"
	TimerFired     = "fired"
	TimerCancelled = "cancelled"
	TimerDropped   = "dropped"
)

// TimerOutcomes lists every timer event outcome.
var TimerOutcomes = []string{TimerStarted, TimerFired, TimerCancelled, TimerDropped}

// Metrics holds every collector. Fields are safe for concurrent use.
type Metrics struct {
	Registry *prometheus.Registry

	WebhooksTotal   *prometheus.CounterVec   // source, outcome
	EventsIgnored   *prometheus.CounterVec   // source, reason
	WebhookDuration *prometheus.HistogramVec // source

	RuleMatches *prometheus.CounterVec // rule
	RuleErrors  *prometheus.CounterVec // rule
	RuleShadow  *prometheus.CounterVec // rule
	Suppressed  *prometheus.CounterVec // rule, reason

	RepliesTotal    *prometheus.CounterVec   // platform, rule, outcome
	ReplyFailures   *prometheus.CounterVec   // platform, reason
	DeliveryLatency *prometheus.HistogramVec // platform
	SendDuration    *prometheus.HistogramVec // platform

	RateLimitRemaining *prometheus.GaugeVec   // platform
	RateLimitWaits     *prometheus.CounterVec // platform
	RateLimitWaitSecs  *prometheus.CounterVec // platform

	RulesLoaded           prometheus.Gauge
	ConfigHash            prometheus.Gauge
	ReloadSuccessful      prometheus.Gauge
	ReloadSuccessTime     prometheus.Gauge
	ReloadsTotal          *prometheus.CounterVec // result
	IntakeBatchSize       prometheus.Histogram
	HTTPRequestsInFlight  prometheus.Gauge
	AdminRequestsTotal    *prometheus.CounterVec // route, code
	BadRequestLogsDropped prometheus.Counter

	TimersPending prometheus.Gauge
	TimerEvents   *prometheus.CounterVec // rule, outcome
}

// New registers every metric on a fresh registry, together with the Go and
// process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	f := promauto.With(reg)
	m := &Metrics{
		Registry: reg,
		WebhooksTotal: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "webhook", Name: "requests_total",
			Help: "Webhook deliveries received, by source and outcome.",
		}, []string{"source", "outcome"}),
		EventsIgnored: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "webhook", Name: "ignored_total",
			Help: "Events no rule was allowed to see, by source and reason (ping, own_reply, bot_author, operator).",
		}, []string{"source", "reason"}),
		WebhookDuration: f.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "webhook", Name: "duration_seconds",
			Help:    "Time from the start of a webhook request to its answer.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"source"}),
		RuleMatches: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "rule", Name: "matches_total",
			Help: "Events a rule matched.",
		}, []string{"rule"}),
		RuleErrors: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "rule", Name: "errors_total",
			Help: "Rule conditions that failed to evaluate (treated as not matching).",
		}, []string{"rule"}),
		RuleShadow: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "rule", Name: "shadow_total",
			Help: "Replies a rule in shadow mode would have sent.",
		}, []string{"rule"}),
		Suppressed: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "rule", Name: "suppressed_total",
			Help: "Matches that were not sent, by rule and reason (once, cooldown, rule_budget, target_budget, paused).",
		}, []string{"rule", "reason"}),
		RepliesTotal: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "reply", Name: "total",
			Help: "Reply deliveries by platform, rule and outcome (sent, retried, dead_lettered, suppressed, shadow, dry_run).",
		}, []string{"platform", "rule", "outcome"}),
		ReplyFailures: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "reply", Name: "failures_total",
			Help: "Failed reply attempts by platform and reason.",
		}, []string{"platform", "reason"}),
		DeliveryLatency: f.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "reply", Name: "delivery_latency_seconds",
			Help:    "Time from receiving the webhook to the platform accepting the reply.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800},
		}, []string{"platform"}),
		SendDuration: f.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "reply", Name: "send_duration_seconds",
			Help:    "Duration of one HTTP call to a platform.",
			Buckets: prometheus.DefBuckets,
		}, []string{"platform"}),
		RateLimitRemaining: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "ratelimit", Name: "remaining",
			Help: "Requests left in the platform's current rate-limit window, as last reported.",
		}, []string{"platform"}),
		RateLimitWaits: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "ratelimit", Name: "waits_total",
			Help: "Sends delayed by the client-side rate limiter.",
		}, []string{"platform"}),
		RateLimitWaitSecs: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "ratelimit", Name: "wait_seconds_total",
			Help: "Time spent waiting for the platform's rate limit.",
		}, []string{"platform"}),
		RulesLoaded: f.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "config", Name: "rules_loaded",
			Help: "Rules in the running configuration.",
		}),
		ConfigHash: f.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "config", Name: "hash",
			Help: "Hash of the running rules file (first 48 bits of its SHA-256).",
		}),
		ReloadSuccessful: f.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "config", Name: "last_reload_successful",
			Help: "Whether the last configuration reload succeeded.",
		}),
		ReloadSuccessTime: f.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "config", Name: "last_reload_success_timestamp_seconds",
			Help: "Time of the last successful configuration load.",
		}),
		ReloadsTotal: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "config", Name: "reloads_total",
			Help: "Configuration reloads by result (success, failure).",
		}, []string{"result"}),
		IntakeBatchSize: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "store", Name: "commit_batch_size",
			Help:    "Events committed per store transaction (group commit).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		HTTPRequestsInFlight: f.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		AdminRequestsTotal: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "admin", Name: "requests_total",
			Help: "Admin API requests by route and status code.",
		}, []string{"route", "code"}),
		BadRequestLogsDropped: f.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "webhook", Name: "logs_suppressed_total",
			Help: "Log lines about rejected webhooks dropped by the log rate limiter.",
		}),
		TimersPending: f.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "timers_pending",
			Help: "Timers of timed rules waiting to fire.",
		}),
		TimerEvents: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "timer", Name: "events_total",
			Help: "Timers of timed rules by rule and what happened (started, fired, cancelled, dropped).",
		}, []string{"rule", "outcome"}),
	}
	m.ReloadsTotal.WithLabelValues("success")
	m.ReloadsTotal.WithLabelValues("failure")
	return m
}

// InitSource pre-creates the label combinations of a source so they read 0.
func (m *Metrics) InitSource(source string) {
	for _, o := range WebhookOutcomes() {
		m.WebhooksTotal.WithLabelValues(source, o)
	}
}

// InitRule pre-creates the label combinations of a rule.
func (m *Metrics) InitRule(rule, platform string) {
	m.RuleMatches.WithLabelValues(rule)
	if platform != "" {
		for _, o := range ReplyOutcomes {
			m.RepliesTotal.WithLabelValues(platform, rule, o)
		}
	}
}

// InitPlatform pre-creates the label combinations of a platform.
func (m *Metrics) InitPlatform(platform string, reasons []string) {
	for _, r := range reasons {
		m.ReplyFailures.WithLabelValues(platform, r)
	}
}

// ForgetRule drops every series of a rule that a reload removed.
func (m *Metrics) ForgetRule(rule string) {
	l := prometheus.Labels{"rule": rule}
	for _, v := range []*prometheus.CounterVec{m.RuleMatches, m.RuleErrors, m.RuleShadow, m.Suppressed, m.RepliesTotal, m.TimerEvents} {
		v.DeletePartialMatch(l)
	}
}
