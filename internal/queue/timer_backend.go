package queue

import (
	"context"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// completeTimer marks a running timer job completed in tx, with the
// transaction that fires or drops the timer.

func (b *sqliteBackend) completeTimer(ctx context.Context, tx txn, rj *river.Job[TimerArgs]) error {
	_, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx.(*sqliteTxn).tx, rj)
	return err
}

func (b *postgresBackend) completeTimer(ctx context.Context, tx txn, rj *river.Job[TimerArgs]) error {
	_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx.(*postgresTxn).tx, rj)
	return err
}
