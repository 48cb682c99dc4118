package responses

import (
	"context"
	"sync"
	"time"
)

// Record is one stored response.
type Record struct {
	// Response is the Response object as it was answered.
	Response []byte
	// Input is the request's own input items, as a JSON array.
	Input []byte
	// History is the conversation up to and including this response's output, as a JSON
	// array of items: the history of the previous response, this input, this output.
	History []byte
}

// Store keeps responses for GET and DELETE /v1/responses/{id}, their input items and
// previous_response_id. Implementations are safe for concurrent use; values passed to Put
// and returned by Get are not retained or shared by the caller and the store.
type Store interface {
	Put(ctx context.Context, id string, rec Record) error
	// Get returns the record of id; ok is false when there is none (or it expired).
	Get(ctx context.Context, id string) (rec Record, ok bool, err error)
	// Delete removes id; ok is false when there was none.
	Delete(ctx context.Context, id string) (ok bool, err error)
}

// DefaultTTL is how long Memory keeps a response by default.
const DefaultTTL = time.Hour

// Memory is the in-memory Store: responses expire after their time to live, and the
// oldest go first when more than max are kept.
type Memory struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	records map[string]memRecord
	order   []string // ids in insertion order, for expiry
}

type memRecord struct {
	rec     Record
	expires time.Time
}

// NewMemory returns a Memory that keeps each response for ttl (DefaultTTL when <= 0) and at
// most max responses (10000 when <= 0).
func NewMemory(ttl time.Duration, max int) *Memory {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if max <= 0 {
		max = 10000
	}
	return &Memory{ttl: ttl, max: max, now: time.Now, records: make(map[string]memRecord)}
}

// Put stores a copy of rec under id.
func (m *Memory) Put(_ context.Context, id string, rec Record) error {
	rec = Record{Response: clone(rec.Response), Input: clone(rec.Input), History: clone(rec.History)}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.evict(now)
	if _, ok := m.records[id]; !ok {
		m.order = append(m.order, id)
	}
	m.records[id] = memRecord{rec: rec, expires: now.Add(m.ttl)}
	return nil
}

// evict drops expired records and the oldest beyond max. m.mu is held.
func (m *Memory) evict(now time.Time) {
	drop := 0
	for drop < len(m.order) {
		id := m.order[drop]
		r, ok := m.records[id]
		if ok && now.Before(r.expires) && len(m.order)-drop < m.max {
			break
		}
		delete(m.records, id)
		drop++
	}
	if drop > 0 {
		n := copy(m.order, m.order[drop:])
		clear(m.order[n:])
		m.order = m.order[:n]
	}
}

// Get returns id's record.
func (m *Memory) Get(_ context.Context, id string) (Record, bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[id]
	if !ok || !now.Before(r.expires) {
		return Record{}, false, nil
	}
	return r.rec, true, nil
}

// Delete removes id's record.
func (m *Memory) Delete(_ context.Context, id string) (bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[id]
	if !ok {
		return false, nil
	}
	delete(m.records, id) // its id stays in order until evicted
	return now.Before(r.expires), nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
