package redisstore

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/governance/state"
)

// maxBatch is the most settlements one script carries.
const maxBatch = 64

// Kinds of pending entries (the scripts' settle).
const (
	// kindSettle settles a reservation: x holds its worst-case tokens and nano-USD, then
	// the real ones.
	kindSettle = 0
	// kindLease reports a lease's use: x holds the requests, tokens, nano-USD and
	// in-flight slots to count as used, then the same to give back unused.
	kindLease = 1
)

// pending is one entry waiting to be sent: a settlement or a lease's report, with its
// levels, the minute and windows it was counted in, its numbers, and when it was queued.
type pending struct {
	ids     [state.MaxLevels]string
	n       int
	minute  int64
	windows [state.NumPeriods]int64
	kind    int64
	x       [8]int64
	at      time.Time
}

// settleQueue holds the settlements that Settle queued (AsyncSettle) until a reservation
// carries them or, once the oldest has waited delay, one timer sends them in batches.
// Queuing costs no goroutine wake-up: the timer is armed when the queue stops being empty
// and stopped when a reservation empties it, so it fires only for settlements that no
// reservation carried in time.
type settleQueue struct {
	delay time.Duration
	send  func([]pending) error

	mu     sync.Mutex
	items  []pending
	timer  *time.Timer
	armed  bool
	closed bool

	sendMu sync.Mutex // one sender at a time: the timer's or stop's
	batch  []pending  // guarded by sendMu
	errors atomic.Uint64
}

// start makes the queue send, with send, what no reservation picked up within delay.
func (q *settleQueue) start(delay time.Duration, send func([]pending) error) {
	q.delay, q.send = delay, send
	q.timer = time.AfterFunc(time.Hour, q.fire)
	q.timer.Stop()
}

// add queues p and reports whether it did (false after stop).
func (q *settleQueue) add(p pending) bool {
	p.at = time.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.items = append(q.items, p)
	if !q.armed {
		q.armed = true
		q.timer.Reset(q.delay)
	}
	return true
}

// take moves up to n queued settlements, oldest first, to dst.
func (q *settleQueue) take(dst []pending, n int) []pending {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := min(n, len(q.items))
	dst = append(dst, q.items[:k]...)
	rest := copy(q.items, q.items[k:])
	clear(q.items[rest:])
	q.items = q.items[:rest]
	if rest == 0 && q.armed {
		q.armed = false
		q.timer.Stop()
	}
	return dst
}

// fire runs on the timer: it sends the queue if its oldest settlement has waited delay,
// else arms the timer for the rest of the wait.
func (q *settleQueue) fire() {
	q.mu.Lock()
	q.armed = false
	if q.closed || len(q.items) == 0 {
		q.mu.Unlock()
		return
	}
	if wait := q.delay - time.Since(q.items[0].at); wait > 0 {
		q.armed = true
		q.timer.Reset(wait)
		q.mu.Unlock()
		return
	}
	q.mu.Unlock()
	q.sendAll() //nolint:errcheck // counted in q.errors
}

// sendAll sends the queue in batches of maxBatch until it is empty, after a send that
// the timer started; settlements lost to an error are counted, and the first error is
// returned.
func (q *settleQueue) sendAll() error {
	q.sendMu.Lock()
	defer q.sendMu.Unlock()
	var first error
	for {
		q.batch = q.take(q.batch[:0], maxBatch)
		if len(q.batch) == 0 {
			return first
		}
		if err := q.send(q.batch); err != nil {
			q.errors.Add(uint64(len(q.batch)))
			if first == nil {
				first = err
			}
		}
	}
}

// stop sends what is queued, refuses what comes after, and returns the settlements lost.
func (q *settleQueue) stop() uint64 {
	q.mu.Lock()
	q.closed = true
	q.armed = false
	q.timer.Stop()
	q.mu.Unlock()
	q.sendAll() //nolint:errcheck // waits for a send the timer started; counted in q.errors
	return q.errors.Load()
}

// call is the keys and arguments of one script call, reused through a pool.
type call struct {
	keys, args []string
	pend       []pending
}

func (c *call) reset(now string) {
	clear(c.keys)
	clear(c.args)
	c.keys, c.args = c.keys[:0], append(c.args[:0], now)
}

// key returns the 1-based index in c.keys of the level with id, adding it.
func (c *call) key(id string) int {
	for i, k := range c.keys {
		if k[len(KeyPrefix):] == id {
			return i + 1
		}
	}
	c.keys = append(c.keys, KeyPrefix+id)
	return len(c.keys)
}

// appendSettlements writes c.pend to the arguments in the form the scripts' settle reads.
func (c *call) appendSettlements() {
	c.args = append(c.args, itoa(int64(len(c.pend))))
	for i := range c.pend {
		p := &c.pend[i]
		c.args = append(c.args, itoa(int64(p.n)))
		for j := 0; j < p.n; j++ {
			c.args = append(c.args, itoa(int64(c.key(p.ids[j]))))
		}
		c.args = append(c.args, itoa(p.minute), itoa(p.windows[0]), itoa(p.windows[1]), itoa(p.windows[2]), itoa(p.windows[3]), itoa(p.kind))
		for _, x := range p.x {
			c.args = append(c.args, itoa(x))
		}
	}
	clear(c.pend)
	c.pend = c.pend[:0]
}
