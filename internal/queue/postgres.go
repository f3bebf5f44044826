package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// migrationLockID is the advisory lock replicas take while migrating, so
// several starting together do not race.
const migrationLockID = 7_210_613_802

// postgresBackend shares the queue and all state between replicas.
type postgresBackend struct {
	pgPool *pgxpool.Pool
	q      pgxQuerier
	client *river.Client[pgx.Tx]
}

func openPostgres(ctx context.Context, opts Options, workers *river.Workers) (*postgresBackend, error) {
	cfg, err := pgxpool.ParseConfig(opts.DatabaseURL)
	if err != nil {
		// pgx errors can echo the URL, password included: say less.
		return nil, errors.New("database URL is not a valid PostgreSQL connection string")
	}
	if cfg.MaxConns < int32(opts.Workers+opts.Committers+4) {
		cfg.MaxConns = int32(opts.Workers + opts.Committers + 4)
	}
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	b := &postgresBackend{pgPool: p, q: pgxQuerier{p, &rebinder{}}}
	if err := b.setup(ctx, opts, workers); err != nil {
		p.Close()
		return nil, err
	}
	return b, nil
}

func (b *postgresBackend) setup(ctx context.Context, opts Options, workers *river.Workers) error {
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := b.pgPool.Ping(pingCtx); err != nil {
		return fmt.Errorf("connect to PostgreSQL %s:%d/%s: %w", b.pgPool.Config().ConnConfig.Host,
			b.pgPool.Config().ConnConfig.Port, b.pgPool.Config().ConnConfig.Database, err)
	}
	if err := b.migrate(ctx); err != nil {
		return err
	}
	driver := riverpgxv5.New(b.pgPool)
	var err error
	b.client, err = river.NewClient(driver, riverConfig(opts, workers, 100*time.Millisecond))
	if err != nil {
		return fmt.Errorf("job client: %w", err)
	}
	return nil
}

// migrate runs River's and the bot's migrations under an advisory lock held
// on one connection.
func (b *postgresBackend) migrate(ctx context.Context) error {
	conn, err := b.pgPool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		return fmt.Errorf("migrate: take lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockID)
	}()
	migrator, err := rivermigrate.New(riverpgxv5.New(b.pgPool), nil)
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return migrateBot(ctx, postgresDialect, b.q, b.begin)
}

func (b *postgresBackend) dialect() dialect { return postgresDialect }
func (b *postgresBackend) pool() querier    { return b.q }
func (b *postgresBackend) needsLocks() bool { return true }

// lock takes a transaction-scoped advisory lock on each key, in one round
// trip: the scan of the array feeds the aggregate row by row, in order.
func (b *postgresBackend) lock(ctx context.Context, tx txn, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	var n int
	return tx.queryRow(ctx, `SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest(?::text[]) AS k`, keys).Scan(&n)
}

type postgresTxn struct {
	pgxQuerier
	tx pgx.Tx
}

func (t *postgresTxn) commit(ctx context.Context) error { return t.tx.Commit(ctx) }
func (t *postgresTxn) rollback(ctx context.Context)     { _ = t.tx.Rollback(context.WithoutCancel(ctx)) }

func (b *postgresBackend) begin(ctx context.Context) (txn, error) {
	tx, err := b.pgPool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &postgresTxn{pgxQuerier{tx, b.q.rebind}, tx}, nil
}

func (b *postgresBackend) insertJobs(ctx context.Context, tx txn, params []river.InsertManyParams) ([]int64, error) {
	return insertJobsTx(ctx, b.client, tx.(*postgresTxn).tx, params)
}

func (b *postgresBackend) complete(ctx context.Context, tx txn, rj *river.Job[DeliveryArgs]) error {
	_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx.(*postgresTxn).tx, rj)
	return err
}

func (b *postgresBackend) start(ctx context.Context) error { return b.client.Start(ctx) }

func (b *postgresBackend) stop(ctx context.Context) error { return stopClient(ctx, b.client) }

func (b *postgresBackend) close() { b.pgPool.Close() }
