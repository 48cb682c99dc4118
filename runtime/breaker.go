package runtime

import (
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
)

// Circuit breaker states, as ProviderLoad.Breaker and the bifrost_circuit_breaker_state
// gauge report them.
const (
	BreakerClosed   = 0 // requests flow
	BreakerHalfOpen = 1 // one probe request is out
	BreakerOpen     = 2 // requests go to fallbacks or fail with 503 circuit_open
)

// breakerBuckets is how many slices the rolling window is cut into.
const breakerBuckets = 10

// breaker is a provider's circuit breaker (see config.CircuitBreaker). Its hot path is a few
// atomic operations: allow loads the state; record adds to the current bucket and, only on a
// failure, sums the window. Buckets are reused in a ring; a bucket whose epoch is stale is
// reset by the first writer of the new epoch (a concurrent write in that instant may be
// lost, which a ratio tolerates).
type breaker struct {
	cfg     config.CircuitBreaker // with the defaults applied
	bucket  int64                 // one bucket's length, ns
	openFor int64                 // ns

	state     atomic.Int32
	openUntil atomic.Int64 // unix ns; meaningful when open
	buckets   [breakerBuckets]breakerBucket
}

type breakerBucket struct {
	epoch, total, failed atomic.Int64
}

// newBreaker returns nil when the breaker is disabled. Zero settings take their defaults.
func newBreaker(c config.CircuitBreaker) *breaker {
	if c.Disabled {
		return nil
	}
	if c.FailureRatio <= 0 || c.FailureRatio > 1 {
		c.FailureRatio = config.DefaultBreakerFailureRatio
	}
	if c.MinRequests <= 0 {
		c.MinRequests = config.DefaultBreakerMinRequests
	}
	if c.Window <= 0 {
		c.Window = config.DefaultBreakerWindow
	}
	if c.OpenFor <= 0 {
		c.OpenFor = config.DefaultBreakerOpenFor
	}
	b := &breaker{cfg: c, bucket: int64(c.Window) / breakerBuckets, openFor: int64(c.OpenFor)}
	if b.bucket <= 0 {
		b.bucket = 1
	}
	for i := range b.buckets {
		b.buckets[i].epoch.Store(-1)
	}
	return b
}

// allow reports whether a request may go to the provider now. probe is true for the one
// request let through by a half-open breaker: its outcome must be passed to record, or
// abandon called.
func (b *breaker) allow(now int64) (ok, probe bool) {
	if b == nil {
		return true, false
	}
	switch b.state.Load() {
	case BreakerClosed:
		return true, false
	case BreakerOpen:
		if now < b.openUntil.Load() {
			return false, false
		}
		if b.state.CompareAndSwap(BreakerOpen, BreakerHalfOpen) {
			return true, true
		}
	}
	return false, false // half-open: the probe is out
}

// record counts one attempt's outcome. A probe's success closes the breaker, its failure
// opens it again.
func (b *breaker) record(now int64, failed, probe bool) {
	if b == nil {
		return
	}
	if probe {
		if failed {
			b.trip(now)
			return
		}
		for i := range b.buckets {
			b.buckets[i].epoch.Store(-1)
		}
		b.state.Store(BreakerClosed)
		return
	}
	if b.state.Load() != BreakerClosed {
		return // late outcomes of requests sent before the breaker opened
	}
	epoch := now / b.bucket
	bk := &b.buckets[epoch%breakerBuckets]
	if e := bk.epoch.Load(); e != epoch && bk.epoch.CompareAndSwap(e, epoch) {
		bk.total.Store(0)
		bk.failed.Store(0)
	}
	bk.total.Add(1)
	if !failed {
		return
	}
	bk.failed.Add(1)
	var total, fails int64
	for i := range b.buckets {
		x := &b.buckets[i]
		if e := x.epoch.Load(); e > epoch-breakerBuckets && e <= epoch {
			total += x.total.Load()
			fails += x.failed.Load()
		}
	}
	if total >= int64(b.cfg.MinRequests) && float64(fails) >= b.cfg.FailureRatio*float64(total) {
		b.trip(now)
	}
}

func (b *breaker) trip(now int64) {
	b.openUntil.Store(now + b.openFor)
	b.state.Store(BreakerOpen)
}

// abandon hands back a probe that ended without an upstream outcome (the client left, no
// key, no slot): the breaker stays open and the next request probes.
func (b *breaker) abandon() {
	if b == nil {
		return
	}
	b.openUntil.Store(0)
	b.state.CompareAndSwap(BreakerHalfOpen, BreakerOpen)
}

// State returns the breaker's state; a disabled breaker is BreakerClosed.
func (b *breaker) State() int {
	if b == nil {
		return BreakerClosed
	}
	return int(b.state.Load())
}

// retryIn returns how long until an open breaker lets its probe through, at least 1s (for
// Retry-After).
func (b *breaker) retryIn(now int64) time.Duration {
	d := time.Duration(b.openUntil.Load() - now)
	if d < time.Second {
		d = time.Second
	}
	return d
}

// breakerFailure reports whether an attempt's outcome counts as a failure for the breaker:
// a network error or timeout, or a status that says the provider is in trouble. 429 and
// other 4xx answers are not the provider's failures.
func breakerFailure(transport bool, status int) bool {
	if transport {
		return true
	}
	switch status {
	case 408, 500, 502, 503, 504, 529:
		return true
	}
	return false
}
