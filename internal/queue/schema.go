package queue

// The bot's own tables. Times are unix milliseconds (BIGINT) on both stores
// so queries are identical; only auto-increment ids differ.

type dialect struct {
	name string
	// id is the column type of an auto-increment primary key.
	id string
	// blob is the column type of JSON documents.
	blob string
	// bytes is the column type of binary data.
	bytes string
}

var (
	sqliteDialect   = dialect{name: "sqlite", id: "INTEGER PRIMARY KEY AUTOINCREMENT", blob: "TEXT", bytes: "BLOB"}
	postgresDialect = dialect{name: "postgres", id: "BIGSERIAL PRIMARY KEY", blob: "TEXT", bytes: "BYTEA"}
)

// migrations are applied in order; never edit one that has shipped, add a
// new one.
func (d dialect) migrations() []string {
	return []string{
		`CREATE TABLE bot_events (
			source      TEXT NOT NULL,
			event_id    TEXT NOT NULL,
			topic       TEXT NOT NULL,
			received_at BIGINT NOT NULL,
			matched     INTEGER NOT NULL,
			payload     ` + d.blob + `,
			PRIMARY KEY (source, event_id)
		);
		CREATE INDEX bot_events_received ON bot_events (received_at);

		CREATE TABLE bot_claims (
			rule       TEXT NOT NULL,
			claim_key  TEXT NOT NULL,
			claimed_at BIGINT NOT NULL,
			expires_at BIGINT NOT NULL,
			event_key  TEXT NOT NULL,
			PRIMARY KEY (rule, claim_key)
		);
		CREATE INDEX bot_claims_expires ON bot_claims (expires_at);

		CREATE TABLE bot_sends (
			id         ` + d.id + `,
			rule       TEXT NOT NULL,
			target_key TEXT NOT NULL,
			at         BIGINT NOT NULL
		);
		CREATE INDEX bot_sends_rule ON bot_sends (rule, at);
		CREATE INDEX bot_sends_target ON bot_sends (target_key, at);

		CREATE TABLE bot_rule_trips (
			id   ` + d.id + `,
			rule TEXT NOT NULL,
			at   BIGINT NOT NULL
		);
		CREATE INDEX bot_rule_trips_rule ON bot_rule_trips (rule, at);

		CREATE TABLE bot_rule_pauses (
			rule         TEXT PRIMARY KEY,
			paused_at    BIGINT NOT NULL,
			paused_until BIGINT NOT NULL
		);

		CREATE TABLE bot_history (
			id           ` + d.id + `,
			job_id       BIGINT,
			source       TEXT NOT NULL,
			event_id     TEXT NOT NULL,
			rule         TEXT NOT NULL,
			platform     TEXT NOT NULL,
			target_type  TEXT NOT NULL,
			target_id    TEXT NOT NULL,
			outcome      TEXT NOT NULL,
			reason       TEXT NOT NULL,
			attempts     INTEGER NOT NULL,
			response_id  TEXT NOT NULL,
			error        TEXT NOT NULL,
			received_at  BIGINT NOT NULL,
			finished_at  BIGINT NOT NULL
		);
		CREATE INDEX bot_history_finished ON bot_history (finished_at);
		CREATE INDEX bot_history_rule ON bot_history (rule, finished_at);
		CREATE INDEX bot_history_target ON bot_history (target_id, finished_at);
		CREATE INDEX bot_history_event ON bot_history (source, event_id);

		CREATE TABLE bot_dead_letters (
			id          ` + d.id + `,
			job_id      BIGINT,
			source      TEXT NOT NULL,
			event_id    TEXT NOT NULL,
			topic       TEXT NOT NULL,
			rule        TEXT NOT NULL,
			platform    TEXT NOT NULL,
			target_key  TEXT NOT NULL,
			claim_key   TEXT NOT NULL,
			claim_ttl_ms BIGINT NOT NULL,
			request     ` + d.blob + ` NOT NULL,
			reason      TEXT NOT NULL,
			status      INTEGER NOT NULL,
			error       TEXT NOT NULL,
			attempts    INTEGER NOT NULL,
			received_at BIGINT NOT NULL,
			dead_at     BIGINT NOT NULL
		);
		CREATE INDEX bot_dead_letters_rule ON bot_dead_letters (rule, dead_at);
		CREATE INDEX bot_dead_letters_dead ON bot_dead_letters (dead_at);

		CREATE TABLE bot_heartbeat (
			node TEXT PRIMARY KEY,
			at   BIGINT NOT NULL
		);

		CREATE TABLE bot_ratelimit (
			account   TEXT PRIMARY KEY,
			lim       INTEGER NOT NULL,
			remaining INTEGER NOT NULL,
			reset_at  BIGINT NOT NULL,
			reported  BIGINT NOT NULL,
			window_ms BIGINT NOT NULL,
			next_at   BIGINT NOT NULL,
			version   BIGINT NOT NULL
		);`,
		// Outcomes known before they are committed (PostgreSQL; SQLite
		// keeps them in a pre-allocated file), and the index the sweep of
		// jobs River gave up on looks history up by.
		`CREATE TABLE bot_sent_marks (
			job_id BIGINT PRIMARY KEY,
			state  INTEGER NOT NULL,
			status INTEGER NOT NULL,
			text   TEXT NOT NULL,
			at     BIGINT NOT NULL
		);
		CREATE INDEX bot_history_job ON bot_history (job_id);`,
		// Attachment contents, stored once however many jobs send them.
		`CREATE TABLE bot_blobs (
			ref     TEXT PRIMARY KEY,
			data    ` + d.bytes + ` NOT NULL,
			used_at BIGINT NOT NULL
		);
		CREATE INDEX bot_blobs_used ON bot_blobs (used_at);`,
		// The delivery headers a platform builds events from (its
		// Spec.EventHeaders, as JSON), kept with the payload so a stored
		// event explains as it arrived. NULL for rows stored before.
		`ALTER TABLE bot_events ADD COLUMN headers ` + d.blob + `;`,
		// Step chains (a rule's actions run one after another): a dead
		// letter keeps the steps after it (JSON array of requests; NULL for
		// none) and its place in the chain, so a replay resumes from it and
		// a failure of a later step leaves the first step's claim alone;
		// history names the action a step did ('' or NULL for a post).
		`ALTER TABLE bot_dead_letters ADD COLUMN next_steps ` + d.blob + `;
		ALTER TABLE bot_dead_letters ADD COLUMN step INTEGER NOT NULL DEFAULT 0;
		ALTER TABLE bot_history ADD COLUMN action TEXT;`,
		// Pending timers of timed rules (timers.go): one per (rule,
		// target), keyed by the River job that fires it, with the
		// triggering event kept whole, since bot_events may be pruned
		// before a long timer fires.
		`CREATE TABLE bot_timers (
			id          BIGINT PRIMARY KEY,
			rule        TEXT NOT NULL,
			target_key  TEXT NOT NULL,
			target_type TEXT NOT NULL,
			target_id   TEXT NOT NULL,
			platform    TEXT NOT NULL,
			source      TEXT NOT NULL,
			event_id    TEXT NOT NULL,
			topic       TEXT NOT NULL,
			received_at BIGINT NOT NULL,
			payload     ` + d.blob + `,
			headers     ` + d.blob + `,
			created_at  BIGINT NOT NULL,
			due_at      BIGINT NOT NULL,
			max_late_ms BIGINT NOT NULL,
			UNIQUE (rule, target_key)
		);
		CREATE INDEX bot_timers_due ON bot_timers (due_at);
		CREATE INDEX bot_timers_target ON bot_timers (target_id);`,
	}
}
