package mocks

import (
	"math/rand/v2"
	"sync"
	"time"
)

// lockedRand is a seeded random source safe for concurrent use.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newLockedRand(seed uint64) *lockedRand {
	if seed == 0 {
		seed = rand.Uint64() | 1
	}
	return &lockedRand{r: rand.New(rand.NewPCG(seed, mix64(seed)))}
}

// float64 returns a number in [0, 1).
func (lr *lockedRand) float64() float64 {
	lr.mu.Lock()
	f := lr.r.Float64()
	lr.mu.Unlock()
	return f
}

// int64n returns a number in [0, n); n must be positive.
func (lr *lockedRand) int64n(n int64) int64 {
	lr.mu.Lock()
	v := lr.r.Int64N(n)
	lr.mu.Unlock()
	return v
}

// latency returns the latency for one request: Config.Model's sample, or
// Config.Latency moved by a uniform draw from [-Jitter, +Jitter], floored
// at zero.
func (s *Server) latency() time.Duration {
	if m := s.cfg.Model; m != nil {
		return m.Sample(s.rand.float64())
	}
	d := s.cfg.Latency
	if j := s.cfg.Jitter; j > 0 {
		d += time.Duration(s.rand.int64n(2*int64(j)+1)) - j
		if d < 0 {
			d = 0
		}
	}
	return d
}

// sleepUntil waits on the calling goroutine until t or until the server
// is closed, and reports whether it reached t. It uses a pooled timer, so
// it neither allocates nor starts a goroutine in steady state.
func (s *Server) sleepUntil(t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer, _ := s.timers.Get().(*time.Timer)
	if timer == nil {
		timer = time.NewTimer(d)
	} else {
		timer.Reset(d)
	}
	defer s.timers.Put(timer)
	select {
	case <-timer.C:
		return true
	case <-s.closing:
		timer.Stop()
		return false
	}
}
