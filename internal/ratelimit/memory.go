package ratelimit

import (
	"context"
	"sync"
)

// MemoryStore keeps state in the process: right for one replica.
type MemoryStore struct {
	mu     sync.Mutex
	states map[string]State
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{states: map[string]State{}} }

// Update applies f under a lock.
func (m *MemoryStore) Update(_ context.Context, account string, f func(State) State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.states[account] = f(m.states[account])
	return nil
}
