package queue

import (
	"context"
	"fmt"
	"regexp"
	"time"
)

// Migration is one of the bot's schema migrations and the tables it
// created.
type Migration struct {
	Version int
	Tables  []string
}

var createTableRE = regexp.MustCompile(`CREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)`)

// SchemaChanges reports the schema version and the bot's migrations
// applied at or after since: what `bot migrate` just did.
func (s *Store) SchemaChanges(ctx context.Context, since time.Time) (version int, applied []Migration, err error) {
	q := s.backend.pool()
	if err := q.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM bot_schema_migrations`).Scan(&version); err != nil {
		return 0, nil, fmt.Errorf("read schema version: %w", err)
	}
	rows, err := q.query(ctx, `SELECT version FROM bot_schema_migrations WHERE applied_at >= ? ORDER BY version`, since.UnixMilli())
	if err != nil {
		return 0, nil, fmt.Errorf("read schema migrations: %w", err)
	}
	defer rows.Close()
	all := s.backend.dialect().migrations()
	for rows.Next() {
		var m Migration
		if err := rows.Scan(&m.Version); err != nil {
			return 0, nil, fmt.Errorf("read schema migrations: %w", err)
		}
		if m.Version >= 1 && m.Version <= len(all) {
			for _, t := range createTableRE.FindAllStringSubmatch(all[m.Version-1], -1) {
				m.Tables = append(m.Tables, t[1])
			}
		}
		applied = append(applied, m)
	}
	return version, applied, rows.Err()
}
