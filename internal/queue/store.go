package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/supportops/autoresponder/internal/metrics"
	"github.com/supportops/autoresponder/internal/replier"
)

// Sender performs one delivery attempt. A nil *replier.Error means the
// platform accepted the reply.
type Sender interface {
	Send(ctx context.Context, job *Job) (replier.Result, *replier.Error)
}

// Options configure a Store.
type Options struct {
	// DatabaseURL selects PostgreSQL (postgres://...). Empty: SQLite in DataDir.
	DatabaseURL string
	// DataDir holds the SQLite file (default ./data).
	DataDir string
	// Sender delivers jobs. Nil opens the store for tools: no workers, no
	// maintenance, no exclusive lock on the data directory.
	Sender Sender
	// Policy returns the policy of the running configuration.
	Policy func() Policy
	// Workers is how many deliveries run at once (default 20).
	Workers int
	// Committers is how many intake transactions run at once (SQLite: 1;
	// PostgreSQL default 4).
	Committers int
	// MaxBatch bounds events per intake transaction (default 128).
	MaxBatch int
	// FetchPollInterval is how often idle workers look for new jobs
	// (default 20ms on SQLite, 100ms on PostgreSQL, which is also notified).
	FetchPollInterval time.Duration
	// JobTimeout bounds one delivery attempt (default 1m).
	JobTimeout time.Duration
	// RescueAfter is when a delivery left running by a dead replica is
	// retried (PostgreSQL; default JobTimeout + 1m).
	RescueAfter time.Duration
	// MaintenanceInterval is how often old rows are pruned (default 5m).
	MaintenanceInterval time.Duration
	// MaxSnoozes caps the rate-limit waits of one job (default 100).
	MaxSnoozes int
	Logger     *slog.Logger
	Metrics    *metrics.Metrics
	Now        func() time.Time

	// Firer renders timers when they are due (see SetFirer).
	Firer Firer
}

// Store is the bot's durable state.
type Store struct {
	opts    Options
	backend backend
	log     *slog.Logger
	m       *metrics.Metrics
	now     func() time.Time
	policy  func() Policy
	sender  Sender
	firer   atomic.Pointer[firerRef]

	intake chan *acceptRequest
	// marks keep outcomes known before they are committed (see marks.go).
	marks    markStore
	stopOnce sync.Once
	closing  chan struct{}
	// committed is closed once the intake loops have stopped, after which
	// nothing answers an Accept.
	committed chan struct{}
	commits   sync.WaitGroup
	loops     sync.WaitGroup
	// working is read-held by every running delivery; Close takes it so
	// the database is not closed under one.
	working sync.RWMutex
}

// Open connects to the store, runs migrations (under a lock), and prepares
// the job client. Call Start to begin delivering.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.DataDir == "" {
		opts.DataDir = "./data"
	}
	if opts.Workers <= 0 {
		opts.Workers = 20
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 128
	}
	if opts.JobTimeout <= 0 {
		opts.JobTimeout = time.Minute
	}
	if opts.RescueAfter <= opts.JobTimeout {
		opts.RescueAfter = opts.JobTimeout + time.Minute
	}
	if opts.MaintenanceInterval <= 0 {
		opts.MaintenanceInterval = 5 * time.Minute
	}
	if opts.MaxSnoozes <= 0 {
		opts.MaxSnoozes = DefaultMaxSnoozes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Policy == nil {
		opts.Policy = func() Policy { return DefaultPolicy }
	}
	s := &Store{
		opts: opts, log: opts.Logger, m: opts.Metrics, now: opts.Now, policy: opts.Policy, sender: opts.Sender,
		intake: make(chan *acceptRequest, 1024), closing: make(chan struct{}), committed: make(chan struct{}),
	}
	s.SetFirer(opts.Firer)
	workers := river.NewWorkers()
	if opts.Sender != nil {
		river.AddWorker(workers, &worker{store: s})
		river.AddWorker(workers, &timerWorker{store: s})
	} else {
		workers = nil
	}
	var err error
	if opts.DatabaseURL != "" {
		if opts.Committers <= 0 {
			opts.Committers = 4
		}
		s.backend, err = openPostgres(ctx, opts, workers)
	} else {
		opts.Committers = 1 // one writer
		s.backend, err = openSQLite(ctx, opts, workers)
	}
	if err != nil {
		return nil, err
	}
	s.opts = opts
	if opts.Sender != nil {
		if opts.DatabaseURL != "" {
			s.marks = newTableMarks(s.backend.pool())
		} else if s.marks, err = openFileMarks(opts.DataDir); err != nil {
			s.backend.close()
			return nil, err
		}
	}
	for range opts.Committers {
		s.commits.Add(1)
		go s.commitLoop()
	}
	return s, nil
}

// Kind is "sqlite" or "postgres".
func (s *Store) Kind() string { return s.backend.dialect().name }

// Start begins working delivery jobs and pruning old rows.
func (s *Store) Start(ctx context.Context) error {
	if s.sender == nil {
		return errors.New("store opened without a sender cannot deliver")
	}
	if err := s.dropStaleMarks(ctx); err != nil {
		return fmt.Errorf("start delivery workers: %w", err)
	}
	if _, err := s.SweepAbandoned(ctx); err != nil {
		return fmt.Errorf("start delivery workers: %w", err)
	}
	if err := s.backend.start(ctx); err != nil {
		return fmt.Errorf("start delivery workers: %w", err)
	}
	s.loops.Add(1)
	go s.maintenanceLoop()
	return nil
}

// Stop stops taking new jobs and waits for running deliveries until ctx
// ends; deliveries still running then are cancelled and stay queued.
func (s *Store) Stop(ctx context.Context) error {
	if s.sender == nil {
		return nil
	}
	return s.backend.stop(ctx)
}

// Close releases everything, after deliveries still recording their
// outcome are done. Accept calls after Close fail.
func (s *Store) Close() {
	s.stopOnce.Do(func() {
		close(s.closing)
		s.commits.Wait()
		close(s.committed)
		s.drainClosed()
		s.loops.Wait()
		s.working.Lock() // never released: no delivery runs after Close
		if s.marks != nil {
			s.marks.close()
		}
		s.backend.close()
	})
}

// Ping checks that the store can commit a write (readiness).
func (s *Store) Ping(ctx context.Context) error {
	tx, err := s.backend.begin(ctx)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer tx.rollback(ctx)
	if _, err := tx.exec(ctx, `INSERT INTO bot_heartbeat (node, at) VALUES ('ping', ?)
		ON CONFLICT (node) DO UPDATE SET at = excluded.at`, s.now().UnixMilli()); err != nil {
		return fmt.Errorf("store not writable: %w", err)
	}
	if err := tx.commit(ctx); err != nil {
		return fmt.Errorf("store not writable: %w", err)
	}
	return nil
}

type acceptRequest struct {
	in   *Intake
	done chan acceptResponse
}

type acceptResponse struct {
	res AcceptResult
	err error
}

// ErrClosed is returned by Accept once the store is closing.
var ErrClosed = errors.New("store is closed")

// Accept records an event and its actions durably: when it returns without
// error, the event is deduplicated, claims and budgets are updated and the
// delivery jobs are committed. Concurrent calls share transactions (group
// commit).
func (s *Store) Accept(ctx context.Context, in *Intake) (AcceptResult, error) {
	r := &acceptRequest{in: in, done: make(chan acceptResponse, 1)}
	select {
	case <-s.closing:
		return AcceptResult{}, ErrClosed
	default:
	}
	select {
	case s.intake <- r:
	case <-s.closing:
		return AcceptResult{}, ErrClosed
	case <-ctx.Done():
		return AcceptResult{}, ctx.Err()
	}
	select {
	case resp := <-r.done:
		return resp.res, resp.err
	case <-s.committed:
		// The intake loops stopped; r may have been queued after the
		// last of them looked.
		select {
		case resp := <-r.done:
			return resp.res, resp.err
		default:
			return AcceptResult{}, ErrClosed
		}
	case <-ctx.Done():
		// The batch may still commit; a retry of the webhook is then a
		// harmless duplicate.
		return AcceptResult{}, ctx.Err()
	}
}

func (s *Store) commitLoop() {
	defer s.commits.Done()
	batch := make([]*acceptRequest, 0, s.opts.MaxBatch)
	for {
		select {
		case <-s.closing:
			s.drainClosed()
			return
		case r := <-s.intake:
			batch = append(batch[:0], r)
		}
	fill:
		for len(batch) < s.opts.MaxBatch {
			select {
			case r := <-s.intake:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.commitBatch(batch)
	}
}

// drainClosed fails requests that raced with Close.
func (s *Store) drainClosed() {
	for {
		select {
		case r := <-s.intake:
			r.done <- acceptResponse{err: ErrClosed}
		default:
			return
		}
	}
}

// commitBatch runs one transaction for the whole batch; if it fails, each
// event is retried alone so one bad event cannot fail its neighbours.
func (s *Store) commitBatch(batch []*acceptRequest) {
	if s.m != nil {
		s.m.IntakeBatchSize.Observe(float64(len(batch)))
	}
	intakes := make([]*Intake, len(batch))
	for i, r := range batch {
		intakes[i] = r.in
	}
	results, err := s.acceptTx(intakes)
	if err == nil {
		for i, r := range batch {
			r.done <- acceptResponse{res: results[i]}
		}
		return
	}
	if len(batch) == 1 {
		batch[0].done <- acceptResponse{err: err}
		return
	}
	s.log.Warn("intake batch failed, retrying events one by one", "events", len(batch), "error", err)
	for _, r := range batch {
		res, err := s.acceptTx([]*Intake{r.in})
		if err != nil {
			r.done <- acceptResponse{err: err}
			continue
		}
		r.done <- acceptResponse{res: res[0]}
	}
}

func (s *Store) acceptTx(intakes []*Intake) ([]AcceptResult, error) {
	// The transaction must finish even if every caller went away: its
	// outcome is what the next delivery of the event will see.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := s.backend.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.rollback(ctx)
	results, err := s.acceptBatch(ctx, tx, intakes, s.policy(), s.now())
	if err != nil {
		return nil, err
	}
	if err := tx.commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	s.countAcceptedTimers(intakes, results)
	return results, nil
}

// maintenanceLoop prunes rows that have outlived their purpose.
func (s *Store) maintenanceLoop() {
	defer s.loops.Done()
	prune := time.NewTicker(s.opts.MaintenanceInterval)
	defer prune.Stop()
	sweep := time.NewTicker(sweepInterval)
	defer sweep.Stop()
	for {
		if err := s.Prune(context.Background()); err != nil {
			s.log.Warn("prune old rows", "error", err)
		}
		s.timerMaintenance()
	wait:
		for {
			select {
			case <-s.closing:
				return
			case <-prune.C:
				break wait
			case <-sweep.C:
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				if _, err := s.SweepAbandoned(ctx); err != nil {
					s.log.Warn("record deliveries given up outside the worker", "error", err)
				}
				if err := s.dropStaleMarks(ctx); err != nil {
					s.log.Warn("drop stale sent marks", "error", err)
				}
				s.timerMaintenance()
				if c, ok := s.backend.(checkpointer); ok {
					if err := c.checkpoint(ctx); err != nil {
						s.log.Warn("checkpoint", "error", err)
					}
				}
				cancel()
			}
		}
	}
}

// checkpointer is a store with a write-ahead log of its own to cut back
// (SQLite).
type checkpointer interface {
	checkpoint(ctx context.Context) error
}

// Prune deletes expired dedup records, claims, budget ledgers, history and
// dead letters.
func (s *Store) Prune(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	pol := s.policy()
	now := s.now()
	q := s.backend.pool()
	for _, st := range []struct {
		sql string
		arg int64
	}{
		{`DELETE FROM bot_events WHERE received_at < ?`, now.Add(-pol.DedupWindow).UnixMilli()},
		{`DELETE FROM bot_claims WHERE expires_at < ?`, now.UnixMilli()},
		{`DELETE FROM bot_sends WHERE at < ?`, now.Add(-2 * time.Hour).UnixMilli()},
		{`DELETE FROM bot_rule_trips WHERE at < ?`, now.Add(-2 * time.Hour).UnixMilli()},
		{`DELETE FROM bot_rule_pauses WHERE paused_until < ?`, now.UnixMilli()},
		{`DELETE FROM bot_history WHERE finished_at < ?`, now.Add(-pol.HistoryRetention).UnixMilli()},
		{`DELETE FROM bot_dead_letters WHERE dead_at < ?`, now.Add(-pol.HistoryRetention).UnixMilli()},
		// A job sends within max_age of its queueing (or replay), which
		// touches its attachments; dead letters keep their own copy.
		{`DELETE FROM bot_blobs WHERE used_at < ?`, now.Add(-2*pol.MaxAge - 24*time.Hour).UnixMilli()},
	} {
		if _, err := q.exec(ctx, st.sql, st.arg); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
	}
	return nil
}

// PausedRules returns the rules paused by their circuit breaker now, with
// the time each pause ends.
func (s *Store) PausedRules(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.backend.pool().query(ctx, `SELECT rule, paused_until FROM bot_rule_pauses WHERE paused_until > ?`, s.now().UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list paused rules: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var rule string
		var until int64
		if err := rows.Scan(&rule, &until); err != nil {
			return nil, fmt.Errorf("list paused rules: %w", err)
		}
		out[rule] = time.UnixMilli(until).UTC()
	}
	return out, rows.Err()
}

// JobCounts returns delivery jobs by River state, and the dead-letter count
// under "dead_letter".
func (s *Store) JobCounts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	rows, err := s.backend.pool().query(ctx, `SELECT state, COUNT(*) FROM river_job WHERE kind = ? GROUP BY state`,
		DeliveryArgs{}.Kind())
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		out[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var dead int64
	if err := s.backend.pool().queryRow(ctx, `SELECT COUNT(*) FROM bot_dead_letters`).Scan(&dead); err != nil {
		return nil, fmt.Errorf("count dead letters: %w", err)
	}
	out["dead_letter"] = dead
	return out, nil
}
