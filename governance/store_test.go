package governance_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/governance/memstore"
	"github.com/bifrost-gw/bifrost/governance/redisstore"
	"github.com/bifrost-gw/bifrost/governance/redistest"
	"github.com/bifrost-gw/bifrost/governance/state"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.ns.Store(t.UnixNano())
	return c
}
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }

// stores runs f against the memory store and the Redis store (settling at once, and
// settling in the background as bifrost-http does), each on clock c.
func stores(t *testing.T, f func(t *testing.T, st state.State, c *clock)) {
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	t.Run("memory", func(t *testing.T) {
		c := newClock(start)
		f(t, memstore.New(c.now), c)
	})
	for _, async := range []bool{false, true} {
		name := "redis"
		if async {
			name = "redis-async"
		}
		t.Run(name, func(t *testing.T) {
			srv := redistest.Start(t)
			c := newClock(start)
			st, err := redisstore.New(redisstore.Options{URL: srv.URL, Timeout: time.Second, Now: c.now, AsyncSettle: async})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			f(t, st, c)
		})
	}
}

func reservation(tokens, cost int64, levels ...*state.Level) *state.Reservation {
	r := &state.Reservation{Tokens: tokens, Cost: cost, N: len(levels)}
	copy(r.Levels[:], levels)
	return r
}

// concurrently reserves with n goroutines and returns the held reservations.
func concurrently(t *testing.T, st state.State, n int, mk func() *state.Reservation) (held []*state.Reservation, verdicts []state.Verdict) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := mk()
			var v state.Verdict
			if err := st.Reserve(r, &v); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if r.Held {
				held = append(held, r)
			} else {
				verdicts = append(verdicts, v)
			}
		}()
	}
	wg.Wait()
	return held, verdicts
}

func TestStoreBudgetExact(t *testing.T) {
	stores(t, func(t *testing.T, st state.State, c *clock) {
		const n, clients, price = 10, 50, 12_345
		key := &state.Level{ID: "key:a", Limits: config.Limits{Budget: [4]int64{state.Day: n * price}}}
		held, refused := concurrently(t, st, clients, func() *state.Reservation { return reservation(1, price, key) })
		if len(held) != n {
			t.Fatalf("admitted %d of %d, want %d", len(held), clients, n)
		}
		for _, v := range refused {
			if v.Refused != state.OverBudget || v.Period != state.Day || v.RetryAfter != 12*time.Hour {
				t.Fatalf("refusal %+v, want over the daily budget, retry in 12h", v)
			}
		}
		// Settled at a third of the worst case: room for 20 more (at the worst case).
		for _, r := range held {
			if err := st.Settle(r, 1, price/3); err != nil {
				t.Fatal(err)
			}
		}
		var u state.Usage
		if err := st.Usage("key:a", &u); err != nil {
			t.Fatal(err)
		}
		if u.Spent[state.Day] != n*(price/3) || u.InFlight != 0 || u.Requests != int64(clients-len(refused)) {
			t.Errorf("usage %+v", u)
		}
		held, _ = concurrently(t, st, clients, func() *state.Reservation { return reservation(1, price, key) })
		if want := (n*price - n*(price/3)) / price; len(held) != int(want) {
			t.Errorf("after settling: admitted %d, want %d", len(held), want)
		}
		// The next UTC day starts with the budget whole.
		c.set(time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC))
		held, _ = concurrently(t, st, clients, func() *state.Reservation { return reservation(1, price, key) })
		if len(held) != n {
			t.Errorf("next day: admitted %d, want %d", len(held), n)
		}
	})
}

func TestStoreRPMExact(t *testing.T) {
	stores(t, func(t *testing.T, st state.State, c *clock) {
		const limit, clients = 13, 50
		key := &state.Level{ID: "key:a", Limits: config.Limits{RPM: limit}}
		team := &state.Level{ID: "team:t", Limits: config.Limits{RPM: 1000}}
		c.add(45 * time.Second)
		held, refused := concurrently(t, st, clients, func() *state.Reservation { return reservation(1, 0, key, team) })
		if len(held) != limit {
			t.Fatalf("admitted %d, want %d", len(held), limit)
		}
		for _, v := range refused {
			if v.Refused != state.RequestRate || v.Level != 0 || v.RetryAfter != 15*time.Second ||
				v.LimitRequests != limit || v.RemainingRequests != 0 || v.Reset != 15*time.Second {
				t.Fatalf("refusal %+v", v)
			}
		}
		for _, r := range held {
			st.Settle(r, 1, 0) //nolint:errcheck
		}
		c.add(14 * time.Second)
		if held, _ := concurrently(t, st, clients, func() *state.Reservation { return reservation(1, 0, key, team) }); len(held) != 0 {
			t.Errorf("same minute: admitted %d", len(held))
		}
		c.add(time.Second)
		if held, _ := concurrently(t, st, clients, func() *state.Reservation { return reservation(1, 0, key, team) }); len(held) != limit {
			t.Errorf("next minute: admitted %d, want %d", len(held), limit)
		}
	})
}

func TestStoreTeamInFlightTokens(t *testing.T) {
	stores(t, func(t *testing.T, st state.State, c *clock) {
		team := &state.Level{ID: "team:t", Limits: config.Limits{MaxInFlight: 2, TPM: 1000}}
		a := &state.Level{ID: "key:a"}
		b := &state.Level{ID: "key:b"}
		var v state.Verdict
		r1, r2, r3 := reservation(100, 0, a, team), reservation(100, 0, b, team), reservation(100, 0, a, team)
		for _, r := range []*state.Reservation{r1, r2} {
			if err := st.Reserve(r, &v); err != nil || !r.Held {
				t.Fatalf("held %v, err %v, verdict %+v", r.Held, err, v)
			}
		}
		if err := st.Reserve(r3, &v); err != nil || r3.Held || v.Refused != state.InFlight || v.Level != 1 {
			t.Fatalf("third in flight: held %v err %v verdict %+v", r3.Held, err, v)
		}
		st.Settle(r1, 850, 0) //nolint:errcheck // the team has 950 of its 1000 tokens counted
		if err := st.Reserve(r3, &v); err != nil || r3.Held || v.Refused != state.TokenRate || v.RemainingTokens != 50 || v.LimitTokens != 1000 {
			t.Fatalf("over tpm: held %v err %v verdict %+v", r3.Held, err, v)
		}
		if err := st.Reserve(reservation(50, 0, b, team), &v); err != nil || v.Refused != state.Admitted {
			t.Fatalf("exactly at tpm: verdict %+v err %v", v, err)
		}
	})
}

// TestStoreWindows: the budget windows are UTC calendar day, ISO week (Monday) and month,
// the same in both stores (Redis computes them in Lua), and a reservation made before a
// boundary and settled after it leaves the new window's count with the cost only.
func TestStoreWindows(t *testing.T) {
	stores(t, func(t *testing.T, st state.State, c *clock) {
		for _, at := range []time.Time{
			time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 6, 23, 59, 59, 0, time.UTC),
		} {
			c.set(at)
			var u state.Usage
			if err := st.Usage("key:w", &u); err != nil {
				t.Fatal(err)
			}
			minute, w := state.Windows(at)
			if u.Minute != minute || u.Windows != w {
				t.Errorf("%v: windows %d %v, want %d %v", at, u.Minute, u.Windows, minute, w)
			}
		}
		key := &state.Level{ID: "key:m", Limits: config.Limits{Budget: [4]int64{0, 0, 1000, 5000}}}
		c.set(time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC))
		r := reservation(1, 900, key)
		var v state.Verdict
		if err := st.Reserve(r, &v); err != nil || !r.Held {
			t.Fatal(err, v)
		}
		if err := st.Reserve(reservation(1, 200, key), &v); err != nil || v.Refused != state.OverBudget || v.Period != state.Month || v.RetryAfter != time.Second {
			t.Fatalf("verdict %+v err %v", v, err)
		}
		c.add(time.Second) // February
		if err := st.Settle(r, 1, 300); err != nil {
			t.Fatal(err)
		}
		var u state.Usage
		if err := st.Usage("key:m", &u); err != nil {
			t.Fatal(err)
		}
		if u.Spent[state.Month] != 300 || u.Spent[state.Lifetime] != 300 {
			t.Errorf("spent %v, want 300 in February and in the lifetime", u.Spent)
		}
	})
}

// TestRedisAsyncSettle: with AsyncSettle, a settlement lands shortly after Settle returns,
// and Close waits for the settlements in flight.
func TestRedisAsyncSettle(t *testing.T) {
	srv := redistest.Start(t)
	st, err := redisstore.New(redisstore.Options{URL: srv.URL, Timeout: time.Second, AsyncSettle: true})
	if err != nil {
		t.Fatal(err)
	}
	key := &state.Level{ID: "key:a", Limits: config.Limits{Budget: [4]int64{state.Lifetime: 1000}}}
	var rs []*state.Reservation
	for i := 0; i < 10; i++ {
		r := reservation(1, 100, key)
		var v state.Verdict
		if err := st.Reserve(r, &v); err != nil || !r.Held {
			t.Fatalf("reservation %d: %v %+v", i, err, v)
		}
		rs = append(rs, r)
	}
	for _, r := range rs {
		if err := st.Settle(r, 1, 7); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil { // waits for the ten settlements
		t.Fatal(err)
	}
	st, err = redisstore.New(redisstore.Options{URL: srv.URL, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var u state.Usage
	if err := st.Usage("key:a", &u); err != nil {
		t.Fatal(err)
	}
	if u.Spent[state.Lifetime] != 70 || u.InFlight != 0 {
		t.Errorf("after Close: %+v, want 70 spent and none in flight", u)
	}
}

// TestRedisAsyncSettleTimer: a queued settlement that no reservation carries is sent
// by the queue's timer, seen by another replica without Close.
func TestRedisAsyncSettleTimer(t *testing.T) {
	srv := redistest.Start(t)
	st, err := redisstore.New(redisstore.Options{URL: srv.URL, Timeout: time.Second, AsyncSettle: true, SettleDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	other, err := redisstore.New(redisstore.Options{URL: srv.URL, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	key := &state.Level{ID: "key:t", Limits: config.Limits{Budget: [4]int64{state.Lifetime: 1000}}}
	for round := 0; round < 3; round++ { // the timer is re-armed after each send
		r := reservation(1, 100, key)
		var v state.Verdict
		if err := st.Reserve(r, &v); err != nil || !r.Held {
			t.Fatalf("round %d: reservation: %v %+v", round, err, v)
		}
		if err := st.Settle(r, 1, 7); err != nil {
			t.Fatal(err)
		}
		want := int64(7 * (round + 1))
		deadline := time.Now().Add(2 * time.Second)
		for {
			var u state.Usage
			if err := other.Usage("key:t", &u); err != nil {
				t.Fatal(err)
			}
			if u.InFlight == 0 && u.Spent[state.Lifetime] == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the other replica still sees %+v, want %d spent and none in flight", round, u, want)
			}
			time.Sleep(time.Millisecond) // waits on the queue's real timer and on Redis
		}
	}
	if n := st.AsyncErrors(); n != 0 {
		t.Errorf("%d settlements lost", n)
	}
}

// TestStoreSettleThenReserve: a request that follows another's settlement in the same
// process sees it, also when settlements are sent in the background: max_in_flight 1
// admits a sequence of requests, and a budget with room for exactly N real costs admits
// N.
func TestStoreSettleThenReserve(t *testing.T) {
	stores(t, func(t *testing.T, st state.State, _ *clock) {
		key := &state.Level{ID: "key:seq", Limits: config.Limits{MaxInFlight: 1, Budget: [4]int64{state.Lifetime: 1000}}}
		admitted := 0
		for i := 0; i < 20; i++ {
			r := reservation(10, 100, key)
			var v state.Verdict
			if err := st.Reserve(r, &v); err != nil {
				t.Fatal(err)
			}
			if !r.Held {
				if v.Refused != state.OverBudget {
					t.Fatalf("request %d refused with %d, want admitted or over budget", i, v.Refused)
				}
				break
			}
			admitted++
			if err := st.Settle(r, 10, 100); err != nil {
				t.Fatal(err)
			}
		}
		if admitted != 10 {
			t.Errorf("admitted %d, want 10", admitted)
		}
	})
}
