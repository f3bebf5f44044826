package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"modernc.org/sqlite"
)

// sqliteBackend keeps everything in one SQLite file. One process owns a data
// directory at a time (a lock file says so), which is what lets it requeue
// jobs a crash left running as soon as it starts.
type sqliteBackend struct {
	db     *sql.DB
	q      sqlQuerier
	client *river.Client[*sql.Tx]
	unlock func()
}

// sqliteDSN: WAL for concurrent readers; synchronous=FULL so a committed
// (acknowledged) event survives power loss, not just a crash; IMMEDIATE
// transactions so writers queue on busy_timeout instead of failing. The
// write-ahead log is checkpointed every walCheckpointPages pages (SQLite's
// default, 1,000 pages, lets it grow to about 4 MiB) and cut back to
// walSizeLimit after a checkpoint, so it never takes much of a small
// volume; the maintenance loop also truncates it when the bot is idle.
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(ON)&_txlock=immediate" +
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)&_pragma=journal_size_limit(%d)", walCheckpointPages, walSizeLimit)
}

const (
	walCheckpointPages = 128     // 512 KiB at SQLite's 4 KiB pages
	walSizeLimit       = 1 << 20 // bytes kept after a checkpoint
)

// checkpoint moves the write-ahead log into the database and truncates it.
func (b *sqliteBackend) checkpoint(ctx context.Context) error {
	if _, err := b.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("checkpoint the write-ahead log: %w", err)
	}
	return nil
}

func openSQLite(ctx context.Context, opts Options, workers *river.Workers) (*sqliteBackend, error) {
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", opts.DataDir, err)
	}
	b := &sqliteBackend{unlock: func() {}}
	if workers != nil {
		unlock, err := lockDir(opts.DataDir)
		if err != nil {
			return nil, err
		}
		b.unlock = unlock
	}
	path := filepath.Join(opts.DataDir, "bot.db")
	db := sql.OpenDB(cachingConnector{dsn: sqliteDSN(path), drv: &sqlite.Driver{}})
	// One connection: SQLite has one writer, and River's SQLite driver
	// avoids SQLITE_BUSY this way.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	b.db, b.q = db, sqlQuerier{db}
	if err := b.setup(ctx, opts, workers); err != nil {
		b.close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return b, nil
}

func (b *sqliteBackend) setup(ctx context.Context, opts Options, workers *river.Workers) error {
	if err := b.db.PingContext(ctx); err != nil {
		return err
	}
	driver := riversqlite.New(b.db)
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if err := migrateBot(ctx, sqliteDialect, b.q, b.begin); err != nil {
		return err
	}
	if workers != nil {
		// We hold the directory lock, so nothing else is working these:
		// they were running when the previous process died.
		n, err := b.q.exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = ? WHERE state = 'running'`,
			time.Now().UTC().Format("2006-01-02 15:04:05.999999"))
		if err != nil {
			return fmt.Errorf("requeue interrupted deliveries: %w", err)
		}
		if n > 0 {
			opts.Logger.Warn("requeued deliveries interrupted by the previous shutdown", "jobs", n)
		}
		// A process killed while it led River keeps its lease for up to
		// 15 s; until then nothing moves due scheduled jobs (timers,
		// retries) to available. It is dead, so its lease goes too.
		if _, err := b.q.exec(ctx, `DELETE FROM river_leader`); err != nil {
			return fmt.Errorf("clear the previous process's leadership: %w", err)
		}
	}
	b.client, err = river.NewClient(driver, riverConfig(opts, workers, 20*time.Millisecond))
	if err != nil {
		return fmt.Errorf("job client: %w", err)
	}
	return nil
}

func (b *sqliteBackend) dialect() dialect { return sqliteDialect }
func (b *sqliteBackend) pool() querier    { return b.q }
func (b *sqliteBackend) needsLocks() bool { return false }

func (b *sqliteBackend) lock(context.Context, txn, []string) error { return nil }

type sqliteTxn struct {
	sqlQuerier
	tx *sql.Tx
}

func (t *sqliteTxn) commit(context.Context) error { return t.tx.Commit() }
func (t *sqliteTxn) rollback(context.Context)     { _ = t.tx.Rollback() }

func (b *sqliteBackend) begin(ctx context.Context) (txn, error) {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &sqliteTxn{sqlQuerier{tx}, tx}, nil
}

// insertJobs inserts jobs in the caller's transaction and returns their
// ids. Intake inserts a delivery job per matched rule in the single
// writer's transaction, where River's inserts cost about half of the CPU
// of an all-matching intake: on SQLite it runs one statement per job, in a
// savepoint, reading each row back. Plain jobs (available now, no options
// but queue and attempts: every delivery job) are written instead as River
// writes them, with one multi-row statement per chunk; anything else goes
// through River (InsertManyFastTx, which reads nothing back).
//
// Ids are not read back either: the transaction is the only writer
// (IMMEDIATE, one connection), and SQLite gives each row inserted one
// larger than the largest id before it, so the n rows get max+1 .. max+n
// in order. That is checked rather than assumed (SQLite picks another id
// only when the largest possible one is taken).
func (b *sqliteBackend) insertJobs(ctx context.Context, tx txn, params []river.InsertManyParams) ([]int64, error) {
	stx := tx.(*sqliteTxn)
	var last int64
	if err := stx.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM river_job`).Scan(&last); err != nil {
		return nil, fmt.Errorf("last job id: %w", err)
	}
	var n int
	var err error
	if allPlain(params) {
		n, err = insertPlainJobs(ctx, stx, params)
	} else {
		n, err = b.client.InsertManyFastTx(ctx, stx.tx, params)
	}
	if err != nil {
		return nil, err
	}
	var count, top int64
	if err := stx.queryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0) FROM river_job WHERE id > ?`, last).Scan(&count, &top); err != nil {
		return nil, fmt.Errorf("job ids: %w", err)
	}
	if n != len(params) || count != int64(n) || top != last+int64(n) {
		return nil, fmt.Errorf("job ids: %d of %d jobs inserted, %d rows with ids %d..%d", n, len(params), count, last+1, top)
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = last + 1 + int64(i)
	}
	return ids, nil
}

// allPlain says whether River would insert every job of params as a plain
// available job: its args bring no insert options of their own, and its
// options set the queue and the attempts and nothing else (no schedule,
// priority, tags, metadata, uniqueness). The bot configures no River hooks
// or middleware that an insert would run.
func allPlain(params []river.InsertManyParams) bool {
	for _, p := range params {
		if _, ok := p.Args.(river.JobArgsWithInsertOpts); ok || p.InsertOpts == nil {
			return false
		}
		o := *p.InsertOpts
		if o.Queue == "" || o.MaxAttempts <= 0 {
			return false
		}
		o.Queue, o.MaxAttempts = "", 0
		if !reflect.ValueOf(o).IsZero() {
			return false
		}
	}
	return true
}

// plainJobsPerInsert bounds the rows of one statement (4 parameters each).
// It is a power of two: see insertPlainJobs.
const plainJobsPerInsert = 128

// insertPlainJobs writes jobs as River's SQLite driver does (the columns
// and defaults of its JobInsertFast; TestPlainJobsAsRiverInsertsThem
// compares the rows), several per statement. Chunks are powers of two so
// that the statement texts, compiled once and cached (stmtcache.go), are a
// handful rather than one per batch size.
func insertPlainJobs(ctx context.Context, tx *sqliteTxn, params []river.InsertManyParams) (int, error) {
	const row = `(?, datetime('now', 'subsec'), ?, ?, json('{}'), 1, ?, datetime('now', 'subsec'), 'available', json('[]'))`
	inserted := 0
	for len(params) > 0 {
		size := 1
		for size*2 <= min(len(params), plainJobsPerInsert) {
			size *= 2
		}
		chunk := params[:size]
		params = params[size:]
		var q strings.Builder
		q.WriteString(`INSERT INTO river_job (args, created_at, kind, max_attempts, metadata, priority, queue, scheduled_at, state, tags) VALUES `)
		args := make([]any, 0, 4*len(chunk))
		for i, p := range chunk {
			encoded, err := json.Marshal(p.Args)
			if err != nil {
				return inserted, fmt.Errorf("encode job args: %w", err)
			}
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(row)
			args = append(args, encoded, p.Args.Kind(), p.InsertOpts.MaxAttempts, p.InsertOpts.Queue)
		}
		n, err := tx.exec(ctx, q.String(), args...)
		if err != nil {
			return inserted, fmt.Errorf("insert jobs: %w", err)
		}
		inserted += int(n)
	}
	return inserted, nil
}

func (b *sqliteBackend) complete(ctx context.Context, tx txn, rj *river.Job[DeliveryArgs]) error {
	_, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx.(*sqliteTxn).tx, rj)
	return err
}

func (b *sqliteBackend) start(ctx context.Context) error { return b.client.Start(ctx) }

func (b *sqliteBackend) stop(ctx context.Context) error { return stopClient(ctx, b.client) }

func (b *sqliteBackend) close() {
	if b.db != nil {
		_ = b.db.Close()
	}
	b.unlock()
}
