package runtime

import (
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/clock"
)

// admission bounds a provider's load: at most `concurrency` requests in flight and at most
// `buffer` more waiting for a slot. It is shared by every snapshot that holds the provider,
// so a reload carries the requests in flight over (see providerState.inherit), and a new
// concurrency or buffer setting applies to everything in flight, admitted before the
// reload or after: with fewer slots than requests in flight, no request is admitted until
// enough have finished.
//
// The fast path (a free slot) is two compare-and-swaps and allocates nothing. Waiters are
// woken by release through a buffered channel of tokens, and also poll, so a wake-up that
// goes to another waiter costs at most the poll interval.
type admission struct {
	limit atomic.Int64 // concurrency: the most requests in flight
	room  atomic.Int64 // concurrency + buffer: the most requests in flight and queued together

	active  atomic.Int64 // requests in flight
	held    atomic.Int64 // requests in flight or queued for a slot
	waiting atomic.Int64 // requests blocked in wait
	wake    chan struct{}
}

// wakeTokens is the capacity of admission.wake: how many wake-ups may be pending at once.
const wakeTokens = 64

func newAdmission(concurrency, buffer int) *admission {
	a := &admission{wake: make(chan struct{}, wakeTokens)}
	a.setLimits(concurrency, buffer)
	return a
}

// setLimits changes the concurrency and buffer. Requests in flight keep their slots; a
// raised limit admits waiters at once.
func (a *admission) setLimits(concurrency, buffer int) {
	a.limit.Store(int64(concurrency))
	a.room.Store(int64(concurrency + buffer))
	a.signal()
}

// admitResult says how admission ended.
type admitResult uint8

const (
	admitted   admitResult = iota
	queueFull              // the queue is full and excess requests are dropped
	timedOut               // no slot came free before the deadline
	clientGone             // the client went away while waiting
)

// acquire takes a slot, waiting in the queue until deadline (a time of clk) if needed. With
// dropExcess, a full queue fails at once; without it, the request waits for room in the
// queue too. gone is polled while waiting. waited reports whether it had to wait (the
// caller then reads the clock again; a slot taken at once costs no clock read).
func (a *admission) acquire(clk clock.Clock, deadline time.Time, dropExcess bool, gone func() bool) (r admitResult, waited bool) {
	if !take(&a.held, &a.room) {
		if dropExcess {
			return queueFull, false
		}
		if r := a.wait(clk, &a.held, &a.room, deadline, gone); r != admitted {
			return r, true
		}
		waited = true
	}
	if take(&a.active, &a.limit) {
		return admitted, waited
	}
	if r := a.wait(clk, &a.active, &a.limit, deadline, gone); r != admitted {
		a.held.Add(-1)
		a.signal()
		return r, true
	}
	return admitted, true
}

// take adds one to n unless n is at limit already, and reports whether it did.
func take(n, limit *atomic.Int64) bool {
	for {
		v := n.Load()
		if v >= limit.Load() {
			return false
		}
		if n.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

// wait blocks until take(n, limit) succeeds, the deadline passes or the client goes away. It
// is the slow path and may allocate a timer.
func (a *admission) wait(clk clock.Clock, n, limit *atomic.Int64, deadline time.Time, gone func() bool) admitResult {
	const poll = 50 * time.Millisecond
	a.waiting.Add(1)
	for {
		if take(n, limit) {
			a.waiting.Add(-1)
			a.signal() // there may be room for the next waiter too (a raised limit)
			return admitted
		}
		d := deadline.Sub(clk.Now())
		if d <= 0 {
			a.waiting.Add(-1)
			return timedOut
		}
		t := clk.NewTimer(min(d, poll))
		select {
		case <-a.wake:
			t.Stop()
		case <-t.C():
		}
		if gone != nil && gone() {
			a.waiting.Add(-1)
			return clientGone
		}
	}
}

// signal wakes a waiter, if any, without blocking.
func (a *admission) signal() {
	if a.waiting.Load() == 0 {
		return
	}
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// release frees a slot taken by acquire.
func (a *admission) release() {
	a.active.Add(-1)
	a.held.Add(-1)
	a.signal()
}

// inFlight and queued report the current load, for metrics.
func (a *admission) inFlight() int { return int(a.active.Load()) }
func (a *admission) queued() int   { return max(int(a.held.Load()-a.active.Load()), 0) }

// concurrency and buffer return the current limits, for messages.
func (a *admission) concurrency() int { return int(a.limit.Load()) }
func (a *admission) buffer() int      { return int(a.room.Load() - a.limit.Load()) }
