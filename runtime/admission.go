package runtime

import (
	"time"
)

// admission bounds a provider's load: at most `concurrency` requests in flight and at most
// `buffer` more waiting for a slot. The fast path (a free slot) is two non-blocking channel
// operations and allocates nothing.
type admission struct {
	slots chan struct{} // capacity: concurrency
	queue chan struct{} // capacity: concurrency + buffer; holds everyone admitted or waiting
}

func newAdmission(concurrency, buffer int) *admission {
	return &admission{slots: make(chan struct{}, concurrency), queue: make(chan struct{}, concurrency+buffer)}
}

// admitResult says how admission ended.
type admitResult uint8

const (
	admitted   admitResult = iota
	queueFull              // the queue is full and excess requests are dropped
	timedOut               // no slot came free before the deadline
	clientGone             // the client went away while waiting
)

// acquire takes a slot, waiting in the queue until deadline if needed. With dropExcess, a full
// queue fails at once; without it, the request waits for room in the queue too. gone is
// polled while waiting.
func (a *admission) acquire(deadline time.Time, dropExcess bool, gone func() bool) admitResult {
	select {
	case a.queue <- struct{}{}:
	default:
		if dropExcess {
			return queueFull
		}
		if r := a.wait(a.queue, deadline, gone); r != admitted {
			return r
		}
	}
	select {
	case a.slots <- struct{}{}:
		return admitted
	default:
	}
	if r := a.wait(a.slots, deadline, gone); r != admitted {
		<-a.queue
		return r
	}
	return admitted
}

// wait blocks until ch takes a token, the deadline passes or the client goes away. It is the
// slow path and may allocate a timer.
func (a *admission) wait(ch chan struct{}, deadline time.Time, gone func() bool) admitResult {
	const poll = 50 * time.Millisecond
	for {
		d := time.Until(deadline)
		if d <= 0 {
			return timedOut
		}
		if d > poll {
			d = poll
		}
		t := time.NewTimer(d)
		select {
		case ch <- struct{}{}:
			t.Stop()
			return admitted
		case <-t.C:
		}
		if gone != nil && gone() {
			return clientGone
		}
	}
}

// release frees a slot taken by acquire.
func (a *admission) release() {
	<-a.slots
	<-a.queue
}

// inFlight and queued report the current load, for metrics.
func (a *admission) inFlight() int { return len(a.slots) }
func (a *admission) queued() int   { return len(a.queue) - len(a.slots) }
