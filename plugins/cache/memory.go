package cache

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/clock"
)

// Store keeps encoded responses by key for a while. Memory is the default, for one
// machine; a store shared by replicas (Redis: GET, and SET with PX for the TTL) implements
// the same interface. Implementations must be safe for concurrent use and must not change
// a value after Set or after returning it from Get.
type Store interface {
	// Get returns the value stored under key, if it is there and has not expired.
	Get(ctx context.Context, key string) (val []byte, ok bool, err error)
	// Set stores val under key for ttl (ttl > 0).
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// Close releases the store's resources.
	Close() error
}

// Memory is an in-memory Store bounded by a number of entries and a number of bytes; when
// either bound is reached, the least recently used entries go first. Expired entries are
// dropped when they are read or evicted.
type Memory struct {
	maxEntries int
	maxBytes   int64
	clk        clock.Clock // the time of the TTLs

	mu    sync.Mutex
	items map[string]*list.Element
	lru   list.List // front: most recently used; values are *memEntry
	bytes int64
}

type memEntry struct {
	key     string
	val     []byte
	expires time.Time
}

var _ Store = (*Memory)(nil)

// NewMemory makes a Memory store with at most maxEntries entries and maxBytes bytes of keys
// and values (each at least 1).
func NewMemory(maxEntries int, maxBytes int64) *Memory {
	m := &Memory{maxEntries: max(maxEntries, 1), maxBytes: max(maxBytes, 1), clk: clock.Real{},
		items: map[string]*list.Element{}}
	m.lru.Init()
	return m
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el := m.items[key]
	if el == nil {
		return nil, false, nil
	}
	e := el.Value.(*memEntry)
	if !m.clk.Now().Before(e.expires) {
		m.remove(el)
		return nil, false, nil
	}
	m.lru.MoveToFront(el)
	return e.val, true, nil
}

// Set implements Store. A value larger than the store's byte bound is not kept.
func (m *Memory) Set(_ context.Context, key string, val []byte, ttl time.Duration) error {
	size := int64(len(key) + len(val))
	if size > m.maxBytes || ttl <= 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if el := m.items[key]; el != nil {
		m.remove(el)
	}
	el := m.lru.PushFront(&memEntry{key: key, val: val, expires: m.clk.Now().Add(ttl)})
	m.items[key] = el
	m.bytes += size
	for m.lru.Len() > m.maxEntries || m.bytes > m.maxBytes {
		m.remove(m.lru.Back())
	}
	return nil
}

// Len returns the number of entries held, expired ones included until they are dropped.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lru.Len()
}

// Bytes returns the size of the keys and values held.
func (m *Memory) Bytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bytes
}

// Close implements Store: it drops every entry.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items = map[string]*list.Element{}
	m.lru.Init()
	m.bytes = 0
	return nil
}

func (m *Memory) remove(el *list.Element) {
	e := m.lru.Remove(el).(*memEntry)
	delete(m.items, e.key)
	m.bytes -= int64(len(e.key) + len(e.val))
}
