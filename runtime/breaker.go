package runtime

import (
	"strings"
	"sync"
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

// breaker is one model's circuit breaker in a provider's breakerSet (see
// config.CircuitBreaker). Its hot path is a few atomic operations: allow loads the state; record adds to the current bucket and, only on a
// failure, sums the window. Buckets are reused in a ring; a bucket whose epoch is stale is
// reset by the first writer of the new epoch (a concurrent write in that instant may be
// lost, which a ratio tolerates).
type breaker struct {
	cfg     config.CircuitBreaker // with the defaults applied
	bucket  int64                 // one bucket's length, ns
	openFor int64                 // ns

	state     atomic.Int32
	openUntil atomic.Int64 // unix ns; meaningful when open
	lastFail  atomic.Int64 // unix ns of the last failure counted, for breakerSet's eviction
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
	b := &breaker{}
	b.init(breakerDefaults(c))
	return b
}

// init sets up a new breaker with c, whose defaults are applied.
func (b *breaker) init(c config.CircuitBreaker) {
	b.cfg, b.bucket, b.openFor = c, int64(c.Window)/breakerBuckets, int64(c.OpenFor)
	if b.bucket <= 0 {
		b.bucket = 1
	}
	for i := range b.buckets {
		b.buckets[i].epoch.Store(-1)
	}
}

// breakerDefaults returns c with its zero and out-of-range settings set to the defaults.
func breakerDefaults(c config.CircuitBreaker) config.CircuitBreaker {
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
	return c
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

// record counts one request's outcome. A probe's success closes the breaker, its failure
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
	b.lastFail.Store(now)
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

// breakerSlots is the size of a provider's table of per-model breakers, and breakerProbes
// how many slots one model may sit in.
const (
	breakerSlots  = 64
	breakerProbes = 8
)

// breakerSet is a provider's circuit breaker: one breaker per model, in a bounded table.
//
// Why per model: a provider often fails for one model only (a model that is down, overloaded
// or deprecated answers 500 while the others are fine). One breaker for the provider would
// open on that model's failures and cut off its healthy models too; a breaker per model
// cuts off only the model that fails, and a provider that is down altogether opens every
// model's breaker as its requests fail (each after min_requests of its own requests, so a
// provider serving many models sends a few more requests to an outage before all are cut
// off: the price of not cutting off healthy models). Each breaker counts requests, not
// attempts: a request whose attempts (retries included) all failed counts as one failure,
// whatever max_retries is (see Engine.try).
//
// Why bounded and lazy: model names come from clients. A model gets a breaker only at its
// first failed request, so names that never fail upstream (a typo answered 404, say) take
// no slot, and the steady state of healthy models allocates nothing. The table holds
// breakerSlots breakers; a model whose probe slots are all taken replaces the closed
// breaker whose last failure is oldest (an open one only when all are open, the one that
// probes soonest), which forgets at most that model's recent failures.
//
// Lookups take no lock and allocate nothing; creating a breaker takes a lock.
type breakerSet struct {
	cfg   config.CircuitBreaker // with the defaults applied
	slots [breakerSlots]atomic.Pointer[modelBreaker]
	mu    sync.Mutex // serialises create
}

// modelBreaker is one model's breaker in a breakerSet.
type modelBreaker struct {
	breaker
	model string // owned copy
	hash  uint64
}

// newBreakerSet returns nil when the breaker is disabled. Zero settings take their
// defaults.
func newBreakerSet(c config.CircuitBreaker) *breakerSet {
	if c.Disabled {
		return nil
	}
	return &breakerSet{cfg: breakerDefaults(c)}
}

// lookup returns model's breaker, or nil when it has none (it never failed, or the breaker
// is disabled): a nil breaker allows every request.
func (s *breakerSet) lookup(model string) *breaker {
	if s == nil {
		return nil
	}
	if mb := s.find(model, hashString(model)); mb != nil {
		return &mb.breaker
	}
	return nil
}

func (s *breakerSet) find(model string, h uint64) *modelBreaker {
	for j := uint64(0); j < breakerProbes; j++ {
		mb := s.slots[(h+j)%breakerSlots].Load()
		if mb == nil {
			return nil // slots fill in probe order and never empty again
		}
		if mb.hash == h && mb.model == model {
			return mb
		}
	}
	return nil
}

// record counts the outcome of one request for model, whose breaker was b when the request
// was allowed (nil: it had none). A failure creates the model's breaker if needed; a
// success of a model without one has nothing to count.
func (s *breakerSet) record(model string, b *breaker, now int64, failed, probe bool) {
	if s == nil {
		return
	}
	h := hashString(model)
	if b == nil {
		if mb := s.find(model, h); mb != nil {
			b = &mb.breaker
		} else if failed {
			b = &s.create(model, h).breaker
		} else {
			return
		}
	}
	b.record(now, failed, probe)
}

// create returns model's breaker, adding it to the table when it has none.
func (s *breakerSet) create(model string, h uint64) *modelBreaker {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mb := s.find(model, h); mb != nil {
		return mb
	}
	victim := -1
	var vState int32
	var vTime int64
	for j := uint64(0); j < breakerProbes; j++ {
		i := int((h + j) % breakerSlots)
		mb := s.slots[i].Load()
		if mb == nil {
			victim = i
			break
		}
		// Rank: closed before half-open before open; among closed, the oldest failure;
		// among open ones, the soonest probe.
		st, t := mb.state.Load(), mb.lastFail.Load()
		if st == BreakerOpen {
			t = mb.openUntil.Load()
		}
		if victim < 0 || st < vState || st == vState && t < vTime {
			victim, vState, vTime = i, st, t
		}
	}
	mb := &modelBreaker{model: strings.Clone(model), hash: h}
	mb.breaker.init(s.cfg)
	s.slots[victim].Store(mb)
	return mb
}

// State returns the most open state among the provider's per-model breakers: BreakerOpen
// when any model's breaker is open, for the bifrost_circuit_breaker_state gauge. A disabled
// breaker is BreakerClosed.
func (s *breakerSet) State() int {
	if s == nil {
		return BreakerClosed
	}
	worst := BreakerClosed
	for i := range s.slots {
		if mb := s.slots[i].Load(); mb != nil {
			worst = max(worst, mb.State())
		}
	}
	return worst
}
