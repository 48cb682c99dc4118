package redisstore

import (
	"sync"
	"time"

	"github.com/bifrost-gw/bifrost/governance/state"
)

// maxBatch is the most settlements one script carries.
const maxBatch = 64

// pending is one settlement waiting to be sent: the reservation's levels, minute and
// windows, its worst case, and the real use.
type pending struct {
	ids                       [state.MaxLevels]string
	n                         int
	minute                    int64
	windows                   [state.NumPeriods]int64
	rtok, rcost, tokens, cost int64
}

// settleQueue holds the settlements that Settle queued (AsyncSettle) until a reservation
// carries them or, after the delay, the queue's goroutine sends them in batches.
type settleQueue struct {
	mu      sync.Mutex
	items   []pending
	wake    chan struct{} // one token: there is something to send
	closing chan struct{}
	done    chan struct{}
	errors  uint64 // settlements lost by the goroutine, read after done
}

// start runs the goroutine that sends, delay after the first settlement queued, what no
// reservation picked up, with send.
func (q *settleQueue) start(delay time.Duration, send func([]pending) error) {
	q.wake, q.closing, q.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(q.done)
		t := time.NewTimer(delay)
		t.Stop()
		var batch []pending
		for {
			closing := false
			select {
			case <-q.wake:
				t.Reset(delay)
				select {
				case <-t.C:
				case <-q.closing:
					closing = true
				}
			case <-q.closing:
				closing = true
			}
			for {
				batch = q.take(batch[:0], maxBatch)
				if len(batch) == 0 {
					break
				}
				if send(batch) != nil {
					q.errors += uint64(len(batch))
				}
			}
			if closing {
				return
			}
		}
	}()
}

// add queues p and wakes the goroutine.
func (q *settleQueue) add(p pending) {
	q.mu.Lock()
	q.items = append(q.items, p)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
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
	return dst
}

// stop sends what is queued, ends the goroutine and returns the settlements it lost.
func (q *settleQueue) stop() uint64 {
	close(q.closing)
	<-q.done
	return q.errors
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
		c.args = append(c.args, itoa(p.minute), itoa(p.windows[0]), itoa(p.windows[1]), itoa(p.windows[2]), itoa(p.windows[3]),
			itoa(p.rtok), itoa(p.rcost), itoa(p.tokens), itoa(p.cost))
	}
	clear(c.pend)
	c.pend = c.pend[:0]
}
