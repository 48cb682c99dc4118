// Package state defines where governance keeps its counters: the State interface, the
// reservation it decides on, and the UTC windows that limits and budgets count in.
//
// A reservation takes, in one atomic step, one request, its worst-case tokens and its
// worst-case cost from every level it belongs to (virtual key, team, provider), or takes nothing
// and says why. Settling it replaces the worst case with what the provider billed. The
// memory store (package memstore) and the Redis store (package redisstore) implement the
// same algorithm, so the exactness tests hold for both.
package state

import (
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
)

// Budget periods, the indexes of config.Limits.Budget.
const (
	Day = iota
	Week
	Month
	Lifetime
	NumPeriods
)

// MaxLevels is the most levels one request is counted in (key, team, provider).
const MaxLevels = 3

// Level is one thing that has limits: a virtual key, a team or a provider account. ID is
// stable across reloads ("key:alice", "team:research", "provider:openai"), so that a
// reload keeps the counters.
type Level struct {
	ID     string
	Limits config.Limits
}

// Reservation is one request's claim on its levels. The caller fills Levels, N, Tokens
// and Cost; Reserve fills the rest.
type Reservation struct {
	Levels [MaxLevels]*Level
	N      int
	// Tokens are the worst-case tokens counted against tpm; Cost the worst-case cost in
	// nano-USD counted against the budgets.
	Tokens, Cost int64
	// Minute is the UTC minute (Unix seconds / 60) the reservation was counted in, and
	// Windows the window of each budget period (see Windows).
	Minute  int64
	Windows [NumPeriods]int64
	// Held says the reservation was taken and must be settled once.
	Held bool
	// Lease is for the State's own use: a State that admits from shares of the limits
	// leased to this process (redisstore) records there which lease each level's share
	// came from, 0 for none. Reserve sets it.
	Lease [MaxLevels]uint64
}

// Refusal says why a reservation was refused.
type Refusal uint8

// Refusals.
const (
	Admitted Refusal = iota
	// OverBudget: a budget has no room for the worst-case cost.
	OverBudget
	// RequestRate: the level's requests this minute reached rpm.
	RequestRate
	// TokenRate: the level's tokens this minute would pass tpm.
	TokenRate
	// InFlight: the level has max_in_flight requests running.
	InFlight
)

// Verdict is a reservation's outcome, with what the x-ratelimit-* headers and
// Retry-After report.
type Verdict struct {
	Refused Refusal
	// Level is the index in Reservation.Levels of the level that refused; Period the
	// budget period that refused (OverBudget).
	Level, Period int
	// RetryAfter is when to come back: the end of the minute for a rate, of the budget's
	// window for a budget (zero for a lifetime budget or max_in_flight).
	RetryAfter time.Duration
	// LimitRequests and RemainingRequests are the tightest rpm over the levels and what is
	// left of it; LimitTokens and RemainingTokens the same for tpm. A limit of 0 means
	// none. Reset is the time to the end of the minute.
	LimitRequests, RemainingRequests int64
	LimitTokens, RemainingTokens     int64
	Reset                            time.Duration
}

// Usage is one level's counters in the current windows, for the usage API.
type Usage struct {
	Requests, Tokens, InFlight int64
	// Spent is the nano-USD spent and reserved in each period's current window.
	Spent [NumPeriods]int64
	// Minute and Windows are the current windows.
	Minute  int64
	Windows [NumPeriods]int64
}

// State keeps the counters. Implementations are safe for concurrent use, and every
// Reserve and Settle is atomic over all the reservation's levels.
type State interface {
	// Reserve takes r from its levels, or nothing, and reports which in v. An error
	// means the state could not be reached: nothing was taken.
	Reserve(r *Reservation, v *Verdict) error
	// Settle gives back r's reservation and counts what the request really used: tokens
	// against tpm and cost (nano-USD) against the budgets. It ends the request's
	// in-flight count.
	Settle(r *Reservation, tokens, cost int64) error
	// Usage reads the counters of the level with id.
	Usage(id string, u *Usage) error
	// Close releases the state's resources.
	Close() error
}

// Windows returns the UTC minute of t (Unix seconds / 60) and the window of each budget
// period: the day (days since the epoch), the ISO week that starts on Monday (weeks since
// Monday 1969-12-29), the calendar month (year*12 + month-1), and 0 for the lifetime.
func Windows(t time.Time) (minute int64, w [NumPeriods]int64) {
	t = t.UTC()
	sec := t.Unix()
	minute = floorDiv(sec, 60)
	days := floorDiv(sec, 86400)
	w[Day] = days
	w[Week] = floorDiv(days+3, 7) // 1970-01-01 was a Thursday
	w[Month] = int64(t.Year())*12 + int64(t.Month()) - 1
	return minute, w
}

// WindowEnd returns when window w of period p ends, in UTC; the zero time for Lifetime.
func WindowEnd(p int, w int64) time.Time {
	switch p {
	case Day:
		return time.Unix((w+1)*86400, 0).UTC()
	case Week:
		return time.Unix(((w+1)*7-3)*86400, 0).UTC()
	case Month:
		return time.Date(int(w/12), time.Month(w%12+1)+1, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Time{}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
