package queue

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
)

// SQLite spends more time compiling a statement than running the short
// ones River and the bot issue, and database/sql compiles every query
// afresh. cachingConnector keeps each connection's compiled statements
// (least recently used out), which roughly halves the cost of a durable
// intake. Statements are looked up by their text; one that is busy (its
// rows still open) is not shared: the query then gets its own statement.

// stmtCacheSize bounds the statements kept per connection; the bot and
// River use a few dozen distinct queries.
const stmtCacheSize = 256

type cachingConnector struct {
	dsn string
	drv driver.Driver
}

func (c cachingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{Conn: conn, stmts: map[string]*list.Element{}, lru: list.New()}, nil
}

func (c cachingConnector) Driver() driver.Driver { return c.drv }

type cachedStmt struct {
	query string
	stmt  driver.Stmt
	busy  bool
}

type cachingConn struct {
	driver.Conn
	stmts map[string]*list.Element // query -> element of lru holding *cachedStmt
	lru   *list.List
}

// stmt returns a cached statement for query, compiling it on first use, or
// nil when it cannot be shared right now.
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if e, ok := c.stmts[query]; ok {
		cs := e.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		c.lru.MoveToFront(e)
		return cs, nil
	}
	p, ok := c.Conn.(driver.ConnPrepareContext)
	if !ok {
		return nil, nil
	}
	st, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	cs := &cachedStmt{query: query, stmt: st}
	c.stmts[query] = c.lru.PushFront(cs)
	for c.lru.Len() > stmtCacheSize {
		c.evict(c.lru.Back())
	}
	return cs, nil
}

func (c *cachingConn) evict(e *list.Element) {
	cs := e.Value.(*cachedStmt)
	c.lru.Remove(e)
	delete(c.stmts, cs.query)
	if !cs.busy {
		_ = cs.stmt.Close()
	}
	// A busy statement is closed by its rows when they close.
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if se, ok := stmtExec(cs); ok {
		return se.ExecContext(ctx, args)
	}
	if e, ok := c.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs != nil {
		if sq, ok := cs.stmt.(driver.StmtQueryContext); ok {
			r, err := sq.QueryContext(ctx, args)
			if err != nil {
				return nil, err
			}
			cs.busy = true
			return &cachedRows{Rows: r, cs: cs, conn: c}, nil
		}
	}
	if q, ok := c.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func stmtExec(cs *cachedStmt) (driver.StmtExecContext, bool) {
	if cs == nil {
		return nil, false
	}
	se, ok := cs.stmt.(driver.StmtExecContext)
	return se, ok
}

func (c *cachingConn) Close() error {
	for _, e := range c.stmts {
		_ = e.Value.(*cachedStmt).stmt.Close()
	}
	c.stmts, c.lru = map[string]*list.Element{}, list.New()
	return c.Conn.Close()
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return nil, errors.New("driver does not support BeginTx")
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// cachedRows frees its statement for reuse when closed.
type cachedRows struct {
	driver.Rows
	cs   *cachedStmt
	conn *cachingConn
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.cs.busy = false
	if e, ok := r.conn.stmts[r.cs.query]; !ok || e.Value.(*cachedStmt) != r.cs {
		_ = r.cs.stmt.Close() // evicted while busy
	}
	return err
}
