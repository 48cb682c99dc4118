// Package clock is the time source of the engine's own timers: circuit breakers, key
// cooldowns, model denials, the request deadline, admission waits and retry backoff, and
// the cache plugin's TTL. Real reads the system clock; Fake is a clock that tests move by
// hand, so that a test of a 30-second cooldown takes no 30 seconds and never races a timer.
//
// What goes on the wire or to a socket (socket deadlines, SigV4 dates, OAuth2 token
// lifetimes) stays on the system clock: a fake time means nothing to a peer.
package clock

import "time"

// Clock tells the time and waits. Implementations are safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep blocks for at least d; it returns at once when d <= 0.
	Sleep(d time.Duration)
	// NewTimer returns a timer whose channel receives the time once d has passed.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer made by a Clock's NewTimer.
type Timer interface {
	// C returns the channel on which the time is delivered.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it stopped it.
	Stop() bool
}

// Real is the system clock. The zero value is ready to use and calls through it allocate
// nothing (NewTimer allocates what time.NewTimer does).
type Real struct{}

var _ Clock = Real{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Sleep calls time.Sleep.
func (Real) Sleep(d time.Duration) { time.Sleep(d) }

// NewTimer wraps time.NewTimer.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

// realTimer is a *time.Timer as a Timer. A struct of one pointer is stored in an interface
// as the pointer itself, without allocating.
type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

// OrReal returns c, or Real when c is nil.
func OrReal(c Clock) Clock {
	if c == nil {
		return Real{}
	}
	return c
}

// IsReal reports whether c is the system clock (Real, or nil).
func IsReal(c Clock) bool {
	if c == nil {
		return true
	}
	_, ok := c.(Real)
	return ok
}

// Since returns the time of c elapsed since t, a time of c. With the system clock it is
// time.Since, which reads only the monotonic clock (time.Now reads the wall clock too).
func Since(c Clock, t time.Time) time.Duration {
	if IsReal(c) {
		return time.Since(t)
	}
	return c.Now().Sub(t)
}
