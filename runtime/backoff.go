package runtime

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/clock"
)

// When to try again: the backoff between retries, the provider's Retry-After, and the
// waits on the engine's clock.

// backoffWait returns the wait before retry number retries+1 on the same key: the backoff,
// or the provider's Retry-After when longer. It returns false when no such retry may go:
// the error is final, or the provider asks for longer than retry_backoff_max (a fallback
// serves sooner).
func backoffWait(p *providerState, retries int, err *Error) (time.Duration, bool) {
	if !err.Retryable {
		return 0, false
	}
	wait := backoff(p, retries)
	if ra := time.Duration(err.RetryAfterSec) * time.Second; ra > wait {
		if ra > p.backoff.max {
			return 0, false
		}
		wait = ra
	}
	return wait, true
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date (later than now); 0 when
// absent or invalid.
func parseRetryAfter(v []byte, now time.Time) int {
	if n, err := strconv.Atoi(string(bytes.TrimSpace(v))); err == nil {
		if n < 0 {
			return 0
		}
		return n
	}
	if t, err := time.Parse(time.RFC1123, string(v)); err == nil {
		if d := t.Sub(now); d > 0 {
			return int(d/time.Second) + 1
		}
	}
	return 0
}

// backoff returns the delay before retry number attempt+1: exponential from the initial
// backoff, capped at the maximum, with equal jitter (half fixed, half random).
func backoff(p *providerState, attempt int) time.Duration {
	d := p.backoff.initial
	for i := 0; i < attempt && d < p.backoff.max; i++ {
		d *= 2
	}
	if d > p.backoff.max {
		d = p.backoff.max
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// sleep waits d on clk, polling gone; it returns false when the client went away.
func sleep(clk clock.Clock, d time.Duration, gone func() bool) bool {
	const poll = 50 * time.Millisecond
	end := clk.Now().Add(d)
	for {
		left := end.Sub(clk.Now())
		if left <= 0 {
			return true
		}
		if gone != nil && gone() {
			return false
		}
		clk.Sleep(min(left, poll))
	}
}

// wallDeadline returns the system-clock deadline limit after start (a time of clk), for the
// sockets: the same instant with the real clock; limit after the system's now with a fake
// one, whose times mean nothing to a socket.
func wallDeadline(clk clock.Clock, start time.Time, limit time.Duration) time.Time {
	if clock.IsReal(clk) {
		return start.Add(limit)
	}
	return time.Now().Add(limit)
}
