package clock_test

import (
	"context"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/clock"
)

var start = time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)

func TestFakeAdvanceFiresDueTimersInOrder(t *testing.T) {
	f := clock.NewFake(start)
	late, early, stopped := f.NewTimer(3*time.Second), f.NewTimer(time.Second), f.NewTimer(2*time.Second)
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop: want true once, then false")
	}
	if n := f.Waiters(); n != 2 {
		t.Fatalf("Waiters = %d, want 2", n)
	}
	steps := []struct {
		by   time.Duration
		want clock.Timer
		at   time.Time
	}{
		{999 * time.Millisecond, nil, time.Time{}},
		{time.Millisecond, early, start.Add(time.Second)},
		{5 * time.Second, late, start.Add(3 * time.Second)},
	}
	for i, s := range steps {
		f.Advance(s.by)
		for _, tm := range []clock.Timer{early, late, stopped} {
			select {
			case at := <-tm.C():
				if tm != s.want || !at.Equal(s.at) {
					t.Fatalf("step %d: a timer fired at %v; want %v at %v", i, at, s.want, s.at)
				}
			default:
				if tm == s.want {
					t.Fatalf("step %d: the due timer did not fire", i)
				}
			}
		}
	}
	if got := f.Now(); !got.Equal(start.Add(6 * time.Second)) {
		t.Errorf("Now = %v after advancing 6s", got)
	}
	if early.Stop() {
		t.Error("Stop of a fired timer reported true")
	}
}

func TestFakeNonPositiveDurations(t *testing.T) {
	f := clock.NewFake(start)
	f.Sleep(0)
	f.Sleep(-time.Second)
	select {
	case at := <-f.NewTimer(0).C():
		if !at.Equal(start) {
			t.Errorf("a zero timer fired at %v, want %v", at, start)
		}
	default:
		t.Error("a zero timer did not fire at once")
	}
	f.Advance(-time.Hour)
	if !f.Now().Equal(start) || f.Waiters() != 0 {
		t.Errorf("after Advance(-1h): %v, %d waiters", f.Now(), f.Waiters())
	}
}

func TestFakeBlockUntilSleeper(t *testing.T) {
	f := clock.NewFake(start)
	woke := make(chan time.Time)
	go func() {
		f.Sleep(time.Minute)
		woke <- f.Now()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.BlockUntil(ctx, 1); err != nil {
		t.Fatalf("the sleeper never waited: %v", err)
	}
	f.Advance(time.Minute)
	if at := <-woke; !at.Equal(start.Add(time.Minute)) {
		t.Errorf("woke at %v", at)
	}
}

func TestFakeBlockUntilGivesUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := clock.NewFake(start).BlockUntil(ctx, 1); err != context.Canceled {
		t.Errorf("BlockUntil with nobody waiting: %v, want context.Canceled", err)
	}
}

func TestReal(t *testing.T) {
	var c clock.Clock = clock.Real{}
	before := time.Now()
	if now := c.Now(); now.Before(before) {
		t.Errorf("Real.Now went back: %v < %v", now, before)
	}
	tm := c.NewTimer(time.Hour)
	if !tm.Stop() {
		t.Error("Stop of a pending real timer reported false")
	}
	<-c.NewTimer(0).C()
	c.Sleep(0)
	if !clock.IsReal(nil) || !clock.IsReal(c) || clock.IsReal(clock.NewFake(start)) {
		t.Error("IsReal: want true for nil and Real, false for a Fake")
	}
	if _, ok := clock.OrReal(nil).(clock.Real); !ok {
		t.Error("OrReal(nil) is not Real")
	}
}

// TestSince: the elapsed time of the clock the time came from, the fake's exactly.
func TestSince(t *testing.T) {
	f := clock.NewFake(start)
	t0 := f.Now()
	f.Advance(1500 * time.Millisecond)
	if d := clock.Since(f, t0); d != 1500*time.Millisecond {
		t.Errorf("Since on a fake clock advanced 1.5s = %v", d)
	}
	r0 := time.Now().Add(-time.Hour)
	for _, c := range []clock.Clock{nil, clock.Real{}} {
		if d := clock.Since(c, r0); d < time.Hour || d > 2*time.Hour {
			t.Errorf("Since(%T) an hour ago = %v", c, d)
		}
	}
}
