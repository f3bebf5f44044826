package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// backend is what differs between SQLite and PostgreSQL.
type backend interface {
	dialect() dialect
	pool() querier
	begin(ctx context.Context) (txn, error)
	insertJobs(ctx context.Context, tx txn, params []river.InsertManyParams) ([]int64, error)
	complete(ctx context.Context, tx txn, rj *river.Job[DeliveryArgs]) error
	completeTimer(ctx context.Context, tx txn, rj *river.Job[TimerArgs]) error
	// needsLocks is true when concurrent writers exist (PostgreSQL).
	needsLocks() bool
	// lock takes transaction-scoped locks on keys, in their order.
	lock(ctx context.Context, tx txn, keys []string) error
	start(ctx context.Context) error
	stop(ctx context.Context) error
	close()
}

// txn is an open transaction.
type txn interface {
	querier
	commit(ctx context.Context) error
	// rollback is safe to call after commit.
	rollback(ctx context.Context)
}

// riverConfig is the River client configuration shared by both stores.
func riverConfig(opts Options, workers *river.Workers, pollInterval time.Duration) *river.Config {
	cfg := &river.Config{
		Logger:               riverLogger(opts.Logger),
		JobTimeout:           opts.JobTimeout,
		RescueStuckJobsAfter: opts.RescueAfter,
		// Outcomes live in bot_history; River's own rows are for the queue only.
		CompletedJobRetentionPeriod: time.Hour,
		CancelledJobRetentionPeriod: 24 * time.Hour,
		DiscardedJobRetentionPeriod: 7 * 24 * time.Hour,
	}
	if workers == nil {
		cfg.SkipUnknownJobCheck = true
		return cfg
	}
	cfg.Workers = workers
	if opts.FetchPollInterval > 0 {
		pollInterval = opts.FetchPollInterval
	}
	cfg.FetchPollInterval = pollInterval
	cfg.FetchCooldown = min(pollInterval, 10*time.Millisecond)
	cfg.Queues = map[string]river.QueueConfig{deliveryQueue: {MaxWorkers: opts.Workers}, timerQueue: {MaxWorkers: timerWorkers}}
	return cfg
}

// riverLogger passes on River's warnings and errors only.
func riverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn}).With("component", "river")
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(a), f.min}
}

func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(n), f.min}
}

// migrateBot applies the bot's own migrations not yet recorded.
func migrateBot(ctx context.Context, d dialect, q querier, begin func(context.Context) (txn, error)) error {
	if _, err := q.exec(ctx, `CREATE TABLE IF NOT EXISTS bot_schema_migrations (
		version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current int
	if err := q.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM bot_schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	for i, m := range d.migrations() {
		version := i + 1
		if version <= current {
			continue
		}
		tx, err := begin(ctx)
		if err != nil {
			return fmt.Errorf("migrate %d: %w", version, err)
		}
		if _, err := tx.exec(ctx, m); err != nil {
			tx.rollback(ctx)
			return fmt.Errorf("migrate %d: %w", version, err)
		}
		if _, err := tx.exec(ctx, `INSERT INTO bot_schema_migrations (version, applied_at) VALUES (?, ?)`,
			version, time.Now().UnixMilli()); err != nil {
			tx.rollback(ctx)
			return fmt.Errorf("migrate %d: %w", version, err)
		}
		if err := tx.commit(ctx); err != nil {
			return fmt.Errorf("migrate %d: %w", version, err)
		}
	}
	return nil
}

// insertJobsTx inserts jobs in the caller's transaction and returns their ids.
func insertJobsTx[TTx any](ctx context.Context, c *river.Client[TTx], tx TTx, params []river.InsertManyParams) ([]int64, error) {
	res, err := c.InsertManyTx(ctx, tx, params)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(res))
	for i, r := range res {
		ids[i] = r.Job.ID
	}
	return ids, nil
}

// stopClient stops a River client, letting running jobs finish until ctx
// ends; then it cancels them (they stay queued for the next start).
func stopClient[TTx any](ctx context.Context, c *river.Client[TTx]) error {
	err := c.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return c.StopAndCancel(cctx)
	}
	return err
}
