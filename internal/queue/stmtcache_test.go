package queue

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"modernc.org/sqlite"
)

func TestStatementCache(t *testing.T) {
	db := sql.OpenDB(cachingConnector{dsn: sqliteDSN(filepath.Join(t.TempDir(), "t.db")), drv: &sqlite.Driver{}})
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	// A script of several statements still runs whole.
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);`); err != nil {
		t.Fatal(err)
	}
	const q = `SELECT n FROM t WHERE n >= ? ORDER BY n`
	// The same query twice on one connection (a transaction), the first
	// one's rows still open: the second must not reuse the busy statement.
	rtx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := rtx.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var n int
		if err := outer.Scan(&n); err != nil {
			t.Fatal(err)
		}
		var inner []int
		rows, err := rtx.QueryContext(ctx, q, n)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var m int
			_ = rows.Scan(&m)
			inner = append(inner, m)
		}
		rows.Close()
		got = append(got, fmt.Sprint(n, inner))
	}
	outer.Close()
	_ = rtx.Rollback()
	if fmt.Sprint(got) != "[1 [1 2] 2 [2]]" {
		t.Fatalf("nested queries = %v", got)
	}
	// More distinct statements than the cache holds: evicted ones are
	// closed and compiled again when needed, results unchanged.
	for i := range stmtCacheSize + 50 {
		var n int
		if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT COUNT(*) + %d FROM t", i)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2+i {
			t.Fatalf("query %d = %d", i, n)
		}
	}
	// Writes through cached statements, inside a transaction.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO t VALUES (?)`, 10+i); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var total int
	if err := db.QueryRowContext(ctx, `SELECT SUM(n) FROM t`).Scan(&total); err != nil || total != 36 {
		t.Fatalf("sum = %d %v, want 36", total, err)
	}
	// A broken statement is an error, not a cached poison.
	if _, err := db.ExecContext(ctx, `INSERT INTO nowhere VALUES (1)`); err == nil {
		t.Fatal("insert into a missing table succeeded")
	}
}
