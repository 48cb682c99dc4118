package clock

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Fake is a Clock that moves only when a test moves it, with Advance. Its timers fire, and
// its sleepers wake, once Advance has taken the time to or past their deadline. BlockUntil
// lets the test wait until the code under test is waiting on the clock, so that no test
// needs to sleep to let a goroutine reach its timer.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	pending []*fakeTimer  // timers not yet fired or stopped, in no order
	changed chan struct{} // closed, and replaced, when pending changes
}

var _ Clock = (*Fake)(nil)

// NewFake returns a Fake that reads start until it is advanced.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, changed: make(chan struct{})}
}

type fakeTimer struct {
	f    *Fake
	when time.Time
	c    chan time.Time // buffered: firing never blocks Advance
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Sleep blocks until the clock has been advanced by d; it returns at once when d <= 0.
func (f *Fake) Sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	<-f.NewTimer(d).C()
}

// NewTimer returns a timer that fires when the clock reaches Now()+d: at once when d <= 0.
func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{f: f, when: f.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- f.now
		return t
	}
	f.pending = append(f.pending, t)
	f.notify()
	return t
}

// Advance moves the clock forward by d (d < 0 is taken as 0) and fires, in the order of
// their deadlines, the timers that are due.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(max(d, 0))
	var due []*fakeTimer
	f.pending = slices.DeleteFunc(f.pending, func(t *fakeTimer) bool {
		if t.when.After(f.now) {
			return false
		}
		due = append(due, t)
		return true
	})
	if len(due) == 0 {
		return
	}
	slices.SortStableFunc(due, func(a, b *fakeTimer) int { return a.when.Compare(b.when) })
	for _, t := range due {
		t.c <- t.when
	}
	f.notify()
}

// Waiters returns how many timers and sleepers are waiting on the clock.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pending)
}

// BlockUntil waits until at least n timers or sleepers are waiting on the clock, or ctx
// ends (its error is returned).
func (f *Fake) BlockUntil(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		ok, ch := len(f.pending) >= n, f.changed
		f.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notify wakes BlockUntil; f.mu is held.
func (f *Fake) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	f := t.f
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.Index(f.pending, t)
	if i < 0 {
		return false
	}
	f.pending = slices.Delete(f.pending, i, i+1)
	f.notify()
	return true
}
