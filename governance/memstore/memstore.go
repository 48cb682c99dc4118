// Package memstore is governance's in-process state: every counter in one map behind one
// mutex, for a single gateway. It allocates nothing per request once a level has been
// seen.
package memstore

import (
	"sync"
	"time"

	"github.com/bifrost-gw/bifrost/governance/state"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// Store is the in-process state.State.
type Store struct {
	now    func() time.Time
	mu     sync.Mutex
	levels map[string]*counters
}

var _ state.State = (*Store)(nil)

// counters are one level's counts in its current windows.
type counters struct {
	minute           int64
	requests, tokens int64
	inFlight         int64
	windows          [state.NumPeriods]int64
	spent            [state.NumPeriods]int64
}

// New returns an empty store. now gives the time (time.Now when nil).
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{now: now, levels: make(map[string]*counters)}
}

// level returns the counters of id rolled to the current windows; s.mu is held.
func (s *Store) level(id string, minute int64, w *[state.NumPeriods]int64) *counters {
	c := s.levels[id]
	if c == nil {
		c = &counters{minute: minute, windows: *w}
		s.levels[id] = c
	}
	if c.minute != minute {
		c.minute, c.requests, c.tokens = minute, 0, 0
	}
	for p := range state.NumPeriods {
		if c.windows[p] != w[p] {
			c.windows[p], c.spent[p] = w[p], 0
		}
	}
	return c
}

// Reserve implements state.State.
func (s *Store) Reserve(r *state.Reservation, v *state.Verdict) error {
	now := s.now()
	minute, w := state.Windows(now)
	r.Minute, r.Windows, r.Held = minute, w, false
	*v = state.Verdict{Reset: time.Unix((minute+1)*60, 0).Sub(now)}
	s.mu.Lock()
	defer s.mu.Unlock()
	var cs [state.MaxLevels]*counters
	for i := 0; i < r.N; i++ {
		cs[i] = s.level(r.Levels[i].ID, minute, &w)
	}
	if refuse(r, cs[:r.N], v, now) {
		return nil
	}
	for i, c := range cs[:r.N] {
		c.requests++
		c.tokens += r.Tokens
		c.inFlight++
		for p := range state.NumPeriods {
			c.spent[p] += r.Cost
		}
		rateHeaders(&r.Levels[i].Limits, c, v)
	}
	r.Held = true
	return nil
}

// refuse decides, with the counters of each level, whether r is refused, and fills v if
// so. Budgets are checked first, then max_in_flight, rpm and tpm, level by level.
func refuse(r *state.Reservation, cs []*counters, v *state.Verdict, now time.Time) bool {
	for i, c := range cs {
		l := &r.Levels[i].Limits
		for p := range state.NumPeriods {
			if l.Budget[p] > 0 && c.spent[p]+r.Cost > l.Budget[p] {
				v.Refused, v.Level, v.Period = state.OverBudget, i, p
				if p != state.Lifetime {
					v.RetryAfter = state.WindowEnd(p, c.windows[p]).Sub(now)
				}
				return true
			}
		}
	}
	for i, c := range cs {
		l := &r.Levels[i].Limits
		switch {
		case l.MaxInFlight > 0 && c.inFlight >= l.MaxInFlight:
			v.Refused, v.Level = state.InFlight, i
		case l.RPM > 0 && c.requests+1 > l.RPM:
			v.Refused, v.Level, v.RetryAfter = state.RequestRate, i, v.Reset
		case l.TPM > 0 && c.tokens+r.Tokens > l.TPM:
			v.Refused, v.Level, v.RetryAfter = state.TokenRate, i, v.Reset
		default:
			continue
		}
		for j, c := range cs {
			rateHeaders(&r.Levels[j].Limits, c, v)
		}
		return true
	}
	return false
}

// rateHeaders keeps in v the tightest rpm and tpm and what is left of them.
func rateHeaders(l *config.Limits, c *counters, v *state.Verdict) {
	if l.RPM > 0 {
		rem := max(l.RPM-c.requests, 0)
		if v.LimitRequests == 0 || rem < v.RemainingRequests {
			v.LimitRequests, v.RemainingRequests = l.RPM, rem
		}
	}
	if l.TPM > 0 {
		rem := max(l.TPM-c.tokens, 0)
		if v.LimitTokens == 0 || rem < v.RemainingTokens {
			v.LimitTokens, v.RemainingTokens = l.TPM, rem
		}
	}
}

// Settle implements state.State. The tokens go to the minute the reservation was made
// in (nothing, if that minute is over); the cost goes to the budgets' current windows,
// and the reservation comes off the windows it was made in, if they still run.
func (s *Store) Settle(r *state.Reservation, tokens, cost int64) error {
	if !r.Held {
		return nil
	}
	r.Held = false
	minute, w := state.Windows(s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < r.N; i++ {
		c := s.level(r.Levels[i].ID, minute, &w)
		c.inFlight = max(c.inFlight-1, 0)
		if c.minute == r.Minute {
			c.tokens = max(c.tokens-r.Tokens+tokens, 0)
		}
		for p := range state.NumPeriods {
			if c.windows[p] == r.Windows[p] {
				c.spent[p] -= r.Cost
			}
			c.spent[p] = max(c.spent[p]+cost, 0)
		}
	}
	return nil
}

// Usage implements state.State.
func (s *Store) Usage(id string, u *state.Usage) error {
	minute, w := state.Windows(s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.level(id, minute, &w)
	*u = state.Usage{Requests: c.requests, Tokens: c.tokens, InFlight: c.inFlight, Spent: c.spent, Minute: minute, Windows: w}
	return nil
}

// Close implements state.State.
func (s *Store) Close() error { return nil }
