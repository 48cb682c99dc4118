package runtime

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
)

// testBreaker returns a breaker over a 1000 ns window (ten 100 ns buckets) that opens for
// 500 ns, with the given ratio and minimum; times in these tests are plain nanoseconds.
func testBreaker(t *testing.T, ratio float64, minRequests int) *breaker {
	t.Helper()
	b := newBreaker(config.CircuitBreaker{FailureRatio: ratio, MinRequests: minRequests, Window: 1000, OpenFor: 500})
	if b == nil {
		t.Fatal("newBreaker returned nil for an enabled breaker")
	}
	return b
}

// outcome is one attempt's result for the breaker: at time at, failed or not.
type outcome struct {
	at     int64
	failed bool
}

// times returns n outcomes at time at, failed or not.
func times(n int, at int64, failed bool) []outcome {
	out := make([]outcome, n)
	for i := range out {
		out[i] = outcome{at, failed}
	}
	return out
}

func seq(parts ...[]outcome) []outcome {
	var all []outcome
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// TestBreakerOpensAtRatio: the breaker opens when the window holds at least min_requests
// attempts and the failed share reaches failure_ratio, and not before either is true.
func TestBreakerOpensAtRatio(t *testing.T) {
	cases := []struct {
		name     string
		ratio    float64
		min      int
		outcomes []outcome
		open     bool
	}{
		{"below min_requests: 9 of 9 failed stays closed", 0.5, 10, times(9, 0, true), false},
		{"min_requests reached, ratio reached: opens", 0.5, 10, seq(times(5, 0, false), times(5, 0, true)), true},
		{"min_requests reached, ratio not reached: closed", 0.5, 10, seq(times(6, 0, false), times(4, 0, true)), false},
		{"ratio 1 needs every attempt failed", 1, 4, seq(times(1, 0, false), times(3, 0, true), times(1, 0, true)), false},
		{"ratio 1, all failed: opens", 1, 4, times(4, 0, true), true},
		{"successes alone never open", 0.1, 1, times(50, 0, false), false},
		{"failures spread over buckets of one window count together", 0.5, 4,
			seq(times(1, 50, true), times(1, 250, true), times(1, 450, true), times(1, 850, true)), true},
		{"failures older than the window do not count", 0.5, 4,
			seq(times(3, 0, true), times(3, 1500, false), times(1, 1500, true)), false},
		{"a rolled window counts afresh", 0.5, 4,
			seq(times(10, 0, false), times(4, 2000, true)), true},
		{"a bucket reused a ring later is reset", 0.5, 4,
			seq(times(3, 10, true), times(6, 1010, false), times(1, 1010, true)), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := testBreaker(t, tc.ratio, tc.min)
			for _, o := range tc.outcomes {
				b.record(o.at, o.failed, false)
			}
			if got := b.State() == BreakerOpen; got != tc.open {
				t.Errorf("open = %v, want %v (state %d)", got, tc.open, b.State())
			}
		})
	}
}

// TestBreakerLifecycle: an open breaker refuses requests for open_for, then lets exactly one
// probe through (half-open); the probe's success closes it, its failure opens it again for
// another open_for, and an abandoned probe leaves it open with the next request probing.
func TestBreakerLifecycle(t *testing.T) {
	b := testBreaker(t, 0.5, 2)
	b.record(0, true, false)
	b.record(0, true, false)
	if b.State() != BreakerOpen {
		t.Fatalf("state %d after 2 of 2 failed, want open", b.State())
	}
	if ok, _ := b.allow(499); ok {
		t.Error("open breaker let a request through before open_for passed")
	}
	if d := b.retryIn(0); d != time.Second {
		t.Errorf("retryIn = %v, want the 1s floor for Retry-After", d)
	}
	// A late outcome of a request sent before the breaker opened changes nothing.
	b.record(100, false, false)
	if b.State() != BreakerOpen {
		t.Fatalf("a late success closed the breaker")
	}

	ok, probe := b.allow(500)
	if !ok || !probe || b.State() != BreakerHalfOpen {
		t.Fatalf("after open_for: allow = %v, probe = %v, state %d; want the probe, half-open", ok, probe, b.State())
	}
	if ok, _ := b.allow(501); ok {
		t.Error("half-open breaker let a second request through while the probe is out")
	}
	// The probe fails: open again, for a fresh open_for from the failure.
	b.record(600, true, true)
	if b.State() != BreakerOpen {
		t.Fatalf("state %d after the probe failed, want open", b.State())
	}
	if ok, _ := b.allow(1099); ok {
		t.Error("re-opened breaker let a request through before its new open_for passed")
	}
	// The next probe is abandoned (the client left before it was sent): still open, and the
	// next request probes at once.
	if ok, probe := b.allow(1100); !ok || !probe {
		t.Fatalf("second probe: allow = %v, probe = %v", ok, probe)
	}
	b.abandon()
	if b.State() != BreakerOpen {
		t.Fatalf("state %d after abandon, want open", b.State())
	}
	ok, probe = b.allow(1101)
	if !ok || !probe {
		t.Fatalf("after abandon: allow = %v, probe = %v; want the next request to probe", ok, probe)
	}
	// This probe succeeds: closed, with a clean window.
	b.record(1200, false, true)
	if b.State() != BreakerClosed {
		t.Fatalf("state %d after the probe succeeded, want closed", b.State())
	}
	if ok, probe := b.allow(1201); !ok || probe {
		t.Errorf("closed breaker: allow = %v, probe = %v", ok, probe)
	}
	b.record(1210, true, false)
	if b.State() != BreakerClosed {
		t.Error("one failure after closing re-opened the breaker: the old window was not cleared")
	}
}

// TestBreakerOneProbeUnderConcurrency: when open_for has passed, of many requests arriving at
// once exactly one goes through as the probe.
func TestBreakerOneProbeUnderConcurrency(t *testing.T) {
	for round := 0; round < 20; round++ {
		b := testBreaker(t, 0.5, 1)
		b.record(0, true, false)
		const n = 64
		var wg sync.WaitGroup
		var mu sync.Mutex
		allowed, probes := 0, 0
		gate := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				ok, probe := b.allow(1000)
				mu.Lock()
				if ok {
					allowed++
				}
				if probe {
					probes++
				}
				mu.Unlock()
			}()
		}
		close(gate)
		wg.Wait()
		if allowed != 1 || probes != 1 {
			t.Fatalf("round %d: %d requests allowed and %d probes of %d, want exactly 1 and 1", round, allowed, probes, n)
		}
	}
}

// TestBreakerDisabled: a disabled breaker is nil, lets everything through and reports closed.
func TestBreakerDisabled(t *testing.T) {
	b := newBreaker(config.CircuitBreaker{Disabled: true, MinRequests: 1})
	if b != nil {
		t.Fatal("newBreaker returned a breaker for a disabled config")
	}
	for i := 0; i < 100; i++ {
		b.record(int64(i), true, false)
	}
	if ok, probe := b.allow(0); !ok || probe || b.State() != BreakerClosed {
		t.Errorf("disabled breaker: allow = %v, probe = %v, state %d", ok, probe, b.State())
	}
	b.abandon() // no panic
}

// TestBreakerDefaults: zero and out-of-range settings take the documented defaults.
func TestBreakerDefaults(t *testing.T) {
	b := newBreaker(config.CircuitBreaker{FailureRatio: 2})
	want := config.CircuitBreaker{FailureRatio: config.DefaultBreakerFailureRatio, MinRequests: config.DefaultBreakerMinRequests,
		Window: config.DefaultBreakerWindow, OpenFor: config.DefaultBreakerOpenFor}
	if b.cfg != want {
		t.Errorf("cfg = %+v, want %+v", b.cfg, want)
	}
	if tiny := newBreaker(config.CircuitBreaker{Window: 1}); tiny.bucket != 1 {
		t.Errorf("a window shorter than its buckets gives bucket %d, want 1", tiny.bucket)
	}
}

// TestBreakerFailureClasses: transport errors and the statuses that say the provider is in
// trouble count as failures; 429 and other 4xx do not (a 429 cools its key instead).
func TestBreakerFailureClasses(t *testing.T) {
	cases := []struct {
		transport bool
		status    int
		want      bool
	}{
		{true, 0, true},
		{false, 200, false},
		{false, 400, false},
		{false, 401, false},
		{false, 404, false},
		{false, 429, false},
		{false, 408, true},
		{false, 500, true},
		{false, 502, true},
		{false, 503, true},
		{false, 504, true},
		{false, 529, true},
	}
	for _, tc := range cases {
		if got := breakerFailure(tc.transport, tc.status); got != tc.want {
			t.Errorf("breakerFailure(%v, %d) = %v, want %v", tc.transport, tc.status, got, tc.want)
		}
	}
}

// TestBreakerSetPerModel: a model gets a breaker only at its first failed request (successes
// alone create none), one model's failures open its breaker only, and the provider's state
// is the most open of its models'.
func TestBreakerSetPerModel(t *testing.T) {
	s := newBreakerSet(config.CircuitBreaker{FailureRatio: 0.5, MinRequests: 2, Window: 1000, OpenFor: 500})
	for i := 0; i < 10; i++ {
		s.record("good", s.lookup("good"), 0, false, false)
	}
	if s.lookup("good") != nil {
		t.Fatal("successes alone created a breaker")
	}
	s.record("bad", s.lookup("bad"), 0, true, false)
	s.record("bad", s.lookup("bad"), 0, true, false)
	if ok, _ := s.lookup("bad").allow(1); ok {
		t.Error("the failing model's breaker let a request through")
	}
	if ok, _ := s.lookup("good").allow(1); !ok {
		t.Error("the healthy model was refused")
	}
	if s.State() != BreakerOpen {
		t.Errorf("State = %d, want open", s.State())
	}
	if newBreakerSet(config.CircuitBreaker{Disabled: true}) != nil {
		t.Error("a disabled breaker set is not nil")
	}
	var off *breakerSet
	off.record("m", nil, 0, true, false) // no panic
	if off.lookup("m") != nil || off.State() != BreakerClosed {
		t.Error("a disabled breaker set holds breakers")
	}
}

// TestBreakerSetBounded: however many models fail, the table holds at most breakerSlots
// breakers, and a new model evicts closed breakers before an open one.
func TestBreakerSetBounded(t *testing.T) {
	s := newBreakerSet(config.CircuitBreaker{FailureRatio: 0.5, MinRequests: 2, Window: 1000, OpenFor: 1 << 40})
	s.record("open", nil, 0, true, false)
	s.record("open", nil, 0, true, false)
	for i := 0; i < 20*breakerSlots; i++ {
		s.record("m"+strconv.Itoa(i), nil, int64(i), true, false)
	}
	n := 0
	for i := range s.slots {
		if s.slots[i].Load() != nil {
			n++
		}
	}
	if n > breakerSlots {
		t.Fatalf("%d breakers", n)
	}
	if b := s.lookup("open"); b == nil || b.State() != BreakerOpen {
		t.Error("an open breaker was evicted while closed ones could go")
	}
}
