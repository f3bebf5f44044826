package queue

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// A sent mark records a delivery's final outcome (the platform accepted the
// reply, or the bot gave up on it) the moment it is known, before the
// outcome transaction. A job that runs again after a crash, a restart or an
// unwritable store finds its mark and records that outcome instead of
// posting the reply a second time. Marks are cleared once the outcome has
// committed.
//
// SQLite keeps them in a small pre-allocated file of fixed slots: a slot is
// reserved before the send (no slot free: the job waits without sending), so
// writing the mark needs no allocation and works on a full disk, and a plain
// write survives kill -9 (the page cache outlives the process). PostgreSQL
// keeps them in a table any replica can read.

const (
	markSent byte = 1
	markDead byte = 2
)

// mark is a delivery's outcome, kept until it is recorded.
type mark struct {
	state byte
	// status is the platform's HTTP status of a dead letter.
	status int
	// text is the response id of a sent reply, or the reason of a dead
	// letter.
	text string
}

// markStore keeps marks. Marks written by this process are also kept in
// memory; the in-memory part is bounded by the number of jobs in flight.
type markStore interface {
	// reserve makes room for job's mark before its send; false means no
	// room now: do not send.
	reserve(job int64) bool
	// put records job's outcome durably.
	put(ctx context.Context, job int64, m mark) error
	// get returns job's mark. maybeRerun is false on a job's first run,
	// when a store shared by replicas need not be asked.
	get(ctx context.Context, job int64, maybeRerun bool) (mark, bool, error)
	// release forgets job's mark and reservation.
	release(ctx context.Context, job int64)
	// jobs lists the jobs with a mark.
	jobs(ctx context.Context) ([]int64, error)
	// reservedOnly lists the jobs with room reserved but no mark.
	reservedOnly() []int64
	close()
}

// --- file (SQLite) ---

const (
	markSlotSize = 128
	// markSlots bounds deliveries whose outcome is not yet committed: the
	// workers' sends plus outcomes waiting for a writable store.
	markSlots   = 4096
	markTextMax = markSlotSize - 16
	markFile    = "sent-marks"
)

// fileMarks is a file of markSlots slots of markSlotSize bytes: job id (8),
// state (1), status (2), text length (1), text, CRC-32 of the rest (4). A
// zeroed or torn slot fails its checksum and counts as free.
type fileMarks struct {
	mu     sync.Mutex
	f      *os.File
	slotOf map[int64]int // reserved or marked slots by job
	marks  map[int64]mark
	free   []int
}

func openFileMarks(dir string) (*fileMarks, error) {
	path := filepath.Join(dir, markFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sent marks: %w", err)
	}
	fm := &fileMarks{f: f, slotOf: map[int64]int{}, marks: map[int64]mark{}}
	if err := fm.load(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("sent marks %s: %w", path, err)
	}
	return fm, nil
}

// load reads the slots, allocating the file's blocks with real writes
// (not a sparse file) the first time, so later writes need no space.
func (fm *fileMarks) load() error {
	buf := make([]byte, markSlots*markSlotSize)
	n, err := fm.f.ReadAt(buf, 0)
	if err != nil && n < len(buf) {
		if _, err := fm.f.WriteAt(buf[n:], int64(n)); err != nil {
			return fmt.Errorf("allocate: %w", err)
		}
		if err := fm.f.Sync(); err != nil {
			return fmt.Errorf("allocate: %w", err)
		}
	}
	for i := markSlots - 1; i >= 0; i-- {
		job, m, ok := decodeMark(buf[i*markSlotSize : (i+1)*markSlotSize])
		if !ok {
			fm.free = append(fm.free, i)
			continue
		}
		if _, dup := fm.slotOf[job]; dup {
			fm.free = append(fm.free, i)
			continue
		}
		fm.slotOf[job], fm.marks[job] = i, m
	}
	return nil
}

func encodeMark(job int64, m mark) []byte {
	b := make([]byte, markSlotSize)
	binary.LittleEndian.PutUint64(b[0:8], uint64(job))
	b[8] = m.state
	binary.LittleEndian.PutUint16(b[9:11], uint16(m.status))
	text := m.text
	if len(text) > markTextMax {
		text = text[:markTextMax]
	}
	b[11] = byte(len(text))
	copy(b[12:], text)
	binary.LittleEndian.PutUint32(b[markSlotSize-4:], crc32.ChecksumIEEE(b[:markSlotSize-4]))
	return b
}

func decodeMark(b []byte) (int64, mark, bool) {
	if binary.LittleEndian.Uint32(b[markSlotSize-4:]) != crc32.ChecksumIEEE(b[:markSlotSize-4]) {
		return 0, mark{}, false
	}
	job := int64(binary.LittleEndian.Uint64(b[0:8]))
	m := mark{state: b[8], status: int(binary.LittleEndian.Uint16(b[9:11]))}
	n := int(b[11])
	if job <= 0 || (m.state != markSent && m.state != markDead) || n > markTextMax {
		return 0, mark{}, false
	}
	m.text = string(b[12 : 12+n])
	return job, m, true
}

func (fm *fileMarks) reserve(job int64) bool {
	fm.mu.Lock()
	defer fm.mu.Unlock()
	if _, ok := fm.slotOf[job]; ok {
		return true
	}
	if len(fm.free) == 0 {
		return false
	}
	fm.slotOf[job] = fm.free[len(fm.free)-1]
	fm.free = fm.free[:len(fm.free)-1]
	return true
}

func (fm *fileMarks) put(_ context.Context, job int64, m mark) error {
	fm.mu.Lock()
	defer fm.mu.Unlock()
	slot, ok := fm.slotOf[job]
	if !ok {
		return errors.New("no sent-mark slot reserved")
	}
	if _, err := fm.f.WriteAt(encodeMark(job, m), int64(slot)*markSlotSize); err != nil {
		return fmt.Errorf("write sent mark: %w", err)
	}
	fm.marks[job] = m
	return nil
}

func (fm *fileMarks) get(_ context.Context, job int64, _ bool) (mark, bool, error) {
	fm.mu.Lock()
	defer fm.mu.Unlock()
	m, ok := fm.marks[job]
	return m, ok, nil
}

func (fm *fileMarks) release(_ context.Context, job int64) {
	fm.mu.Lock()
	defer fm.mu.Unlock()
	slot, ok := fm.slotOf[job]
	if !ok {
		return
	}
	if _, marked := fm.marks[job]; marked {
		// Best effort: a mark left behind for a recorded job is removed
		// at the next start (its job is no longer queued).
		_, _ = fm.f.WriteAt(make([]byte, markSlotSize), int64(slot)*markSlotSize)
		delete(fm.marks, job)
	}
	delete(fm.slotOf, job)
	fm.free = append(fm.free, slot)
}

func (fm *fileMarks) jobs(context.Context) ([]int64, error) {
	fm.mu.Lock()
	defer fm.mu.Unlock()
	out := make([]int64, 0, len(fm.marks))
	for j := range fm.marks {
		out = append(out, j)
	}
	return out, nil
}

func (fm *fileMarks) reservedOnly() []int64 {
	fm.mu.Lock()
	defer fm.mu.Unlock()
	var out []int64
	for j := range fm.slotOf {
		if _, marked := fm.marks[j]; !marked {
			out = append(out, j)
		}
	}
	return out
}

func (fm *fileMarks) close() { _ = fm.f.Close() }

// --- table (PostgreSQL) ---

// tableMarks keeps marks in bot_sent_marks, written outside any
// transaction so that a replica taking the job over sees them. A mark the
// database would not take (it is down) is kept in memory for this
// process's next run of the job, bounded like the file's slots.
type tableMarks struct {
	q   querier
	mu  sync.Mutex
	mem map[int64]mark
}

func newTableMarks(q querier) *tableMarks { return &tableMarks{q: q, mem: map[int64]mark{}} }

func (tm *tableMarks) reserve(int64) bool { return true }

func (tm *tableMarks) put(ctx context.Context, job int64, m mark) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err := tm.q.exec(ctx, `INSERT INTO bot_sent_marks (job_id, state, status, text, at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (job_id) DO UPDATE SET state = excluded.state, status = excluded.status, text = excluded.text, at = excluded.at`,
		job, int(m.state), m.status, storable(m.text), time.Now().UnixMilli())
	if err != nil {
		tm.mu.Lock()
		if len(tm.mem) < markSlots {
			tm.mem[job] = m
		}
		tm.mu.Unlock()
		return fmt.Errorf("write sent mark: %w", err)
	}
	return nil
}

func (tm *tableMarks) get(ctx context.Context, job int64, maybeRerun bool) (mark, bool, error) {
	tm.mu.Lock()
	m, ok := tm.mem[job]
	tm.mu.Unlock()
	if ok || !maybeRerun {
		return m, ok, nil
	}
	var state int
	err := tm.q.queryRow(ctx, `SELECT state, status, text FROM bot_sent_marks WHERE job_id = ?`, job).Scan(&state, &m.status, &m.text)
	if isNoRows(err) {
		return mark{}, false, nil
	}
	if err != nil {
		return mark{}, false, fmt.Errorf("read sent mark: %w", err)
	}
	m.state = byte(state)
	return m, true, nil
}

func (tm *tableMarks) release(ctx context.Context, job int64) {
	tm.mu.Lock()
	delete(tm.mem, job)
	tm.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// A mark left behind is removed once its job is no longer queued.
	_, _ = tm.q.exec(ctx, `DELETE FROM bot_sent_marks WHERE job_id = ?`, job)
}

func (tm *tableMarks) jobs(ctx context.Context) ([]int64, error) {
	rows, err := tm.q.query(ctx, `SELECT job_id FROM bot_sent_marks`)
	if err != nil {
		return nil, fmt.Errorf("list sent marks: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var j int64
		if err := rows.Scan(&j); err != nil {
			return nil, fmt.Errorf("list sent marks: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// reservedOnly is empty: the table needs no reservations.
func (tm *tableMarks) reservedOnly() []int64 { return nil }

func (tm *tableMarks) close() {}
