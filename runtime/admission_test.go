package runtime

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/clock"
)

// TestAdmissionLimits: acquire admits up to concurrency, queues up to buffer more, drops or
// times out the rest as told; setLimits applies to the requests already in flight, and a
// raised limit admits a waiter; a release hands its slot to a waiter. The waits run on a
// fake clock: a waiter is known to be queued once it waits on that clock.
func TestAdmissionLimits(t *testing.T) {
	f := clock.NewFake(time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC))
	a := newAdmission(2, 1)
	soon := func() time.Time { return f.Now().Add(20 * time.Millisecond) }
	// waiter runs acquire in a goroutine and returns once it waits on the clock.
	got := make(chan admitResult)
	waiter := func(deadline time.Time, dropExcess bool, gone func() bool) {
		t.Helper()
		go func() {
			r, waited := a.acquire(f, deadline, dropExcess, gone)
			if !waited {
				t.Errorf("a waiter's acquire says it did not wait (%v)", r)
			}
			got <- r
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := f.BlockUntil(ctx, 1); err != nil {
			t.Fatalf("the waiter never waited: %v", err)
		}
	}
	for i := 0; i < 2; i++ {
		if r, waited := a.acquire(f, soon(), true, nil); r != admitted || waited {
			t.Fatalf("slot %d: %v (waited %v), want admitted at once", i, r, waited)
		}
	}
	// No slot: the request waits until its deadline, not 1 ms less.
	waiter(soon(), false, nil)
	f.Advance(19 * time.Millisecond)
	waitingAgain := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		waitingAgain <- f.BlockUntil(ctx, 1)
	}()
	select { // the waiter either ends or waits on the clock again
	case r := <-got:
		t.Fatalf("no slot, 1 ms before the deadline: %v, want it still waiting", r)
	case err := <-waitingAgain:
		if err != nil {
			t.Fatalf("the waiter neither ended nor waited: %v", err)
		}
	}
	f.Advance(time.Millisecond)
	if r := <-got; r != timedOut {
		t.Fatalf("no slot: %v, want timedOut", r)
	}
	if a.inFlight() != 2 || a.queued() != 0 {
		t.Fatalf("after a timeout: %d in flight, %d queued; want 2, 0", a.inFlight(), a.queued())
	}
	// One waits in the buffer; a second finds the queue full.
	waiter(f.Now().Add(5*time.Second), true, nil)
	if a.queued() != 1 {
		t.Fatalf("%d queued, want the waiter", a.queued())
	}
	if r, _ := a.acquire(f, soon(), true, nil); r != queueFull {
		t.Fatalf("full queue: %v, want queueFull", r)
	}
	a.release()
	if r := <-got; r != admitted {
		t.Fatalf("waiter: %v", r)
	}
	// Lower the limit below what is in flight: nothing is admitted until enough finish.
	a.setLimits(1, 0)
	if r, _ := a.acquire(f, soon(), true, nil); r != queueFull {
		t.Fatalf("limit 1 with 2 in flight: %v, want queueFull", r)
	}
	a.release()
	if r, _ := a.acquire(f, soon(), true, nil); r != queueFull {
		t.Fatalf("limit 1 with 1 in flight: %v, want queueFull", r)
	}
	a.release()
	if r, waited := a.acquire(f, soon(), true, nil); r != admitted || waited {
		t.Fatalf("limit 1 with none in flight: %v (waited %v), want admitted at once", r, waited)
	}
	// Raise it: a waiter is admitted at once, with no time passing.
	waiter(f.Now().Add(5*time.Second), false, nil)
	a.setLimits(2, 0)
	if r := <-got; r != admitted || a.inFlight() != 2 {
		t.Fatalf("raised limit: %v, %d in flight", r, a.inFlight())
	}
	// A client that leaves while waiting frees its queue place at the next poll.
	gone := atomic.Bool{}
	waiter(f.Now().Add(5*time.Second), false, gone.Load)
	gone.Store(true)
	f.Advance(50 * time.Millisecond)
	if r := <-got; r != clientGone || a.queued() != 0 {
		t.Fatalf("client gone: %v, %d queued", r, a.queued())
	}
	a.release()
	a.release()
	if a.inFlight() != 0 || a.queued() != 0 {
		t.Fatalf("at rest: %d in flight, %d queued", a.inFlight(), a.queued())
	}
}

// TestAdmissionNeverExceeds: many requests at once, with the limit changed under them, never
// have more in flight than the largest limit, and all get through.
func TestAdmissionNeverExceeds(t *testing.T) {
	a := newAdmission(3, 100)
	var active, peak atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, _ := a.acquire(clock.Real{}, time.Now().Add(10*time.Second), false, nil); r != admitted {
				t.Errorf("acquire: %v", r)
				return
			}
			n := active.Add(1)
			for m := peak.Load(); n > m && !peak.CompareAndSwap(m, n); m = peak.Load() {
			}
			time.Sleep(time.Millisecond) // simulated work: it holds the slot so that requests overlap
			active.Add(-1)
			a.release()
		}()
		if i == 32 {
			a.setLimits(4, 100)
		}
	}
	wg.Wait()
	if p := peak.Load(); p > 4 {
		t.Errorf("%d in flight at once, limit at most 4", p)
	}
	if a.inFlight() != 0 || a.queued() != 0 {
		t.Errorf("at rest: %d in flight, %d queued", a.inFlight(), a.queued())
	}
}
