// Package redisstore is governance's state in Redis, shared by every gateway replica that
// points at the same server. Each reservation and each settlement is one Lua script run
// atomically on the server, over every level of the request, with Redis's clock, so that
// replicas never disagree and no read-then-write race exists. The scripts make the same
// decisions as package memstore.
//
// It uses rueidis: on governance's call (one EVALSHA) it measured about 5.9 µs and no
// allocation per call against go-redis's 7.7-9.8 µs and 9 allocations
// (governance/redisstore/clientbench). Each call is bounded by the configured timeout;
// what a request gets when Redis does not answer in time is the governor's on_error
// policy. A level's counters are one hash, "bifrost:gov:" + the level's ID; the scripts
// touch several keys at once, so Redis Cluster is not supported.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/governance/state"
	"github.com/redis/rueidis"
)

// KeyPrefix starts every Redis key the store writes.
const KeyPrefix = "bifrost:gov:"

// Options configure a Store.
type Options struct {
	// URL is "redis://[user:password@]host:port[/db]" or "rediss://..." for TLS.
	URL string
	// Password, if set, replaces the URL's.
	Password string
	// Timeout bounds each call, and connecting.
	Timeout time.Duration
	// Now, if set, replaces Redis's clock (tests).
	Now func() time.Time
	// AsyncSettle makes Settle return at once and run its script on a goroutine of its
	// own, so that a request waits on one round trip to Redis (its reservation), not two.
	// The reservation holds the worst case until the settlement lands, so limits and
	// budgets stay exact; only the usage API may lag by a round trip. Its errors are
	// counted in AsyncErrors. Close waits for the settlements in flight.
	AsyncSettle bool
}

// Store is the Redis state.State.
type Store struct {
	client                 rueidis.Client
	reserve, settle, usage *rueidis.Lua
	timeout                time.Duration
	now                    func() time.Time
	async                  bool
	pending                sync.WaitGroup
	asyncErrors            atomic.Uint64
}

var _ state.State = (*Store)(nil)

// New connects to the Redis server that o names.
func New(o Options) (*Store, error) {
	co, err := rueidis.ParseURL(o.URL)
	if err != nil {
		return nil, errors.New("redisstore: invalid URL") // the parse error would quote it, password included
	}
	if o.Password != "" {
		co.Password = o.Password
	}
	if o.Timeout <= 0 {
		o.Timeout = 50 * time.Millisecond
	}
	co.DisableCache = true
	co.Dialer.Timeout = o.Timeout
	co.ConnWriteTimeout = max(o.Timeout, 100*time.Millisecond)
	c, err := rueidis.NewClient(co)
	if err != nil {
		return nil, fmt.Errorf("redisstore: connect: %w", err)
	}
	return &Store{client: c, timeout: o.Timeout, now: o.Now, async: o.AsyncSettle,
		reserve: rueidis.NewLuaScript(reserveScript), settle: rueidis.NewLuaScript(settleScript), usage: rueidis.NewLuaScript(usageScript)}, nil
}

func (s *Store) nowMs() string {
	if s.now == nil {
		return "-1"
	}
	return strconv.FormatInt(s.now().UnixMilli(), 10)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (s *Store) keys(r *state.Reservation) []string {
	keys := make([]string, r.N)
	for i := range keys {
		keys[i] = KeyPrefix + r.Levels[i].ID
	}
	return keys
}

// Reserve implements state.State.
func (s *Store) Reserve(r *state.Reservation, v *state.Verdict) error {
	r.Held = false
	args := make([]string, 0, 3+7*r.N)
	args = append(args, s.nowMs(), itoa(r.Tokens), itoa(r.Cost))
	for i := 0; i < r.N; i++ {
		l := &r.Levels[i].Limits
		args = append(args, itoa(l.RPM), itoa(l.TPM), itoa(l.MaxInFlight), itoa(l.Budget[0]), itoa(l.Budget[1]), itoa(l.Budget[2]), itoa(l.Budget[3]))
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	out, err := s.reserve.Exec(ctx, s.client, s.keys(r), args).AsIntSlice()
	if err != nil {
		return fmt.Errorf("redisstore: reserve: %w", err)
	}
	if len(out) != 14 {
		return fmt.Errorf("redisstore: reserve: %d values in the reply, want 14", len(out))
	}
	*v = state.Verdict{Refused: state.Refusal(out[0]), Level: max(int(out[1])-1, 0), Period: int(out[2]) - 1,
		RetryAfter:    time.Duration(out[3]) * time.Millisecond,
		LimitRequests: out[4], RemainingRequests: out[5], LimitTokens: out[6], RemainingTokens: out[7],
		Reset: time.Duration(out[8]) * time.Millisecond}
	r.Minute = out[9]
	copy(r.Windows[:], out[10:14])
	r.Held = v.Refused == state.Admitted
	return nil
}

// Settle implements state.State.
func (s *Store) Settle(r *state.Reservation, tokens, cost int64) error {
	if !r.Held {
		return nil
	}
	r.Held = false
	args := []string{s.nowMs(), itoa(r.Minute), itoa(r.Windows[0]), itoa(r.Windows[1]), itoa(r.Windows[2]), itoa(r.Windows[3]),
		itoa(r.Tokens), itoa(r.Cost), itoa(tokens), itoa(cost)}
	keys := s.keys(r)
	if !s.async {
		return s.runSettle(keys, args)
	}
	s.pending.Add(1)
	go func() {
		defer s.pending.Done()
		if s.runSettle(keys, args) != nil {
			s.asyncErrors.Add(1)
		}
	}()
	return nil
}

func (s *Store) runSettle(keys, args []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if err := s.settle.Exec(ctx, s.client, keys, args).Error(); err != nil {
		return fmt.Errorf("redisstore: settle: %w", err)
	}
	return nil
}

// AsyncErrors counts the settlements run with AsyncSettle that failed.
func (s *Store) AsyncErrors() uint64 { return s.asyncErrors.Load() }

// Usage implements state.State.
func (s *Store) Usage(id string, u *state.Usage) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	out, err := s.usage.Exec(ctx, s.client, []string{KeyPrefix + id}, []string{s.nowMs()}).AsIntSlice()
	if err != nil {
		return fmt.Errorf("redisstore: usage: %w", err)
	}
	if len(out) != 12 {
		return fmt.Errorf("redisstore: usage: %d values in the reply, want 12", len(out))
	}
	*u = state.Usage{Requests: out[0], Tokens: out[1], InFlight: out[2], Minute: out[7]}
	copy(u.Spent[:], out[3:7])
	copy(u.Windows[:], out[8:12])
	return nil
}

// Close implements state.State.
func (s *Store) Close() error {
	s.pending.Wait()
	s.client.Close()
	return nil
}
