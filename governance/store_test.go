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

// stores runs f against the memory store and the Redis store (settling at once, settling
// in the background, and also admitting from leases as bifrost-http does), each on clock
// c. Leases last an hour of real time here: they end with the test clock's minute.
func stores(t *testing.T, f func(t *testing.T, st state.State, c *clock)) {
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	t.Run("memory", func(t *testing.T) {
		c := newClock(start)
		f(t, memstore.New(c.now), c)
	})
	for _, mode := range []struct {
		name  string
		async bool
		lease time.Duration
	}{{"redis", false, 0}, {"redis-async", true, 0}, {"redis-lease", true, time.Hour}} {
		t.Run(mode.name, func(t *testing.T) {
			srv := redistest.Start(t)
			c := newClock(start)
			st, err := redisstore.New(redisstore.Options{URL: srv.URL, Timeout: time.Second, Now: c.now, AsyncSettle: mode.async, LeaseAge: mode.lease})
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

// TestRedisLeases: two replicas admitting from leases never pass a limit together; once
// their leases come back the rest of the limit is admitted, to the request; the counters
// then hold exactly what was admitted and settled; a lease goes back when its limits
// change; and a lease admits while Redis is down only until it ends.
func TestRedisLeases(t *testing.T) {
	srv := redistest.Start(t)
	c := newClock(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
	open := func() *redisstore.Store {
		st, err := redisstore.New(redisstore.Options{URL: srv.URL, Timeout: time.Second, Now: c.now, AsyncSettle: true, LeaseAge: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := open(), open()
	const limit, clients, tokens, price = 2000, 1500, 50, 1_000_000
	key := &state.Level{ID: "key:l", Limits: config.Limits{RPM: limit, Budget: [4]int64{state.Lifetime: 1e15}}}
	team := &state.Level{ID: "team:l", Limits: config.Limits{MaxInFlight: 1 << 20, TPM: 1 << 40}}
	mk := func() *state.Reservation { return reservation(tokens, price, key, team) }

	var heldA, heldB []*state.Reservation
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); heldA, _ = concurrently(t, a, clients, mk) }()
	go func() { defer wg.Done(); heldB, _ = concurrently(t, b, clients, mk) }()
	wg.Wait()
	first := len(heldA) + len(heldB)
	if first > limit || first < limit-limit/4 {
		t.Fatalf("two replicas admitted %d (%d + %d) against rpm %d", first, len(heldA), len(heldB), limit)
	}
	var u state.Usage
	for _, st := range []*redisstore.Store{a, b} { // each gives its leases back
		if err := st.Usage("key:l", &u); err != nil {
			t.Fatal(err)
		}
	}
	if u.Requests != int64(first) || u.InFlight != int64(first) || u.Spent[state.Lifetime] != int64(first)*price {
		t.Fatalf("after the leases came back: %+v, want %d requests in flight", u, first)
	}
	// The rest of the minute's rpm: a burst may leave part of a last lease unused, and
	// once that comes back too (with less than sixteen leases' room left, no lease is
	// granted) the total is the rpm, to the request.
	more, refused := concurrently(t, a, limit, mk)
	if err := a.Usage("key:l", &u); err != nil {
		t.Fatal(err)
	}
	last, refusedLast := concurrently(t, a, limit, mk)
	more, refused = append(more, last...), append(refused, refusedLast...)
	if first+len(more) != limit {
		t.Fatalf("after the leases came back: admitted %d more, %d in all, want %d", len(more), first+len(more), limit)
	}
	for _, v := range refused {
		if v.Refused != state.RequestRate || v.RetryAfter != time.Minute {
			t.Fatalf("refusal %+v, want rpm, retry in a minute", v)
		}
	}
	// Settled at a fifth of the worst case, on the replica that admitted each request.
	for _, p := range []struct {
		st   *redisstore.Store
		held []*state.Reservation
	}{{a, append(heldA, more...)}, {b, heldB}} {
		for _, r := range p.held {
			if err := p.st.Settle(r, tokens/5, price/5); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, st := range []*redisstore.Store{b, a} {
		if err := st.Usage("team:l", &u); err != nil {
			t.Fatal(err)
		}
	}
	if n := a.AsyncErrors() + b.AsyncErrors(); n != 0 {
		t.Errorf("%d entries lost to errors", n)
	}
	if u.Requests != limit || u.InFlight != 0 || u.Tokens != limit*(tokens/5) || u.Spent[state.Lifetime] != limit*(price/5) {
		t.Errorf("team after settling: %+v, want %d requests, %d tokens, %d nano-USD, none in flight", u, limit, limit*(tokens/5), limit*(price/5))
	}

	// A new minute: a lease is granted again, and admits while Redis is down.
	c.add(time.Minute)
	var v state.Verdict
	for i := 0; i < 2; i++ {
		if err := a.Reserve(mk(), &v); err != nil || v.Refused != state.Admitted {
			t.Fatalf("new minute: %v %+v", err, v)
		}
	}
	if v.LimitRequests != limit || v.RemainingRequests < limit-limit/16-2 || v.RemainingRequests > limit-2 {
		t.Errorf("headers from a lease: %+v", v)
	}
	// A reload that lowers the key's rpm: the lease taken under the old limits goes back
	// with the next reservation, which counts against the new limit exactly.
	lowered := &state.Level{ID: "key:l", Limits: config.Limits{RPM: 3, Budget: key.Limits.Budget}}
	for i, want := range []state.Refusal{state.Admitted, state.RequestRate} {
		if err := a.Reserve(reservation(tokens, price, lowered, team), &v); err != nil || v.Refused != want {
			t.Fatalf("rpm lowered to 3, request %d: %v %+v, want %v", i+3, err, v, want)
		}
	}
	if err := a.Reserve(mk(), &v); err != nil || v.Refused != state.Admitted {
		t.Fatalf("rpm back to %d: %v %+v", limit, err, v)
	}
	srv.Kill()
	if err := a.Reserve(mk(), &v); err != nil || v.Refused != state.Admitted {
		t.Errorf("from the lease, Redis down: %v %+v", err, v)
	}
	c.add(time.Minute) // the lease ended with its minute
	if err := a.Reserve(mk(), &v); err == nil {
		t.Errorf("lease past its minute, Redis down: no error, %+v", v)
	}
}

// TestRedisLeaseOfDeadReplica: what a replica leased and never gave back (it died
// without Close, with one request in flight) stops counting two minutes later; until
// then the others cannot use it.
func TestRedisLeaseOfDeadReplica(t *testing.T) {
	srv := redistest.Start(t)
	c := newClock(time.Date(2026, 12, 4, 12, 0, 30, 0, time.UTC))
	opts := redisstore.Options{URL: srv.URL, Timeout: time.Second, Now: c.now, AsyncSettle: true, LeaseAge: time.Hour}
	dead, err := redisstore.New(opts) // never closed: its leases are never given back
	if err != nil {
		t.Fatal(err)
	}
	live, err := redisstore.New(redisstore.Options{URL: srv.URL, Timeout: time.Second, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { live.Close() })
	const slots, price = 1000, 1_000_000
	key := &state.Level{ID: "key:d", Limits: config.Limits{MaxInFlight: slots, Budget: [4]int64{state.Lifetime: 1e12}}}
	var v state.Verdict
	r := reservation(1, price, key)
	if err := dead.Reserve(r, &v); err != nil || !r.Held || r.Lease[0] == 0 {
		t.Fatalf("dead replica's lease: %v %+v %+v", err, r, v)
	}
	free := func() int {
		t.Helper()
		n := 0
		var held []*state.Reservation
		for {
			r := reservation(1, price, key)
			if err := live.Reserve(r, &v); err != nil {
				t.Fatal(err)
			}
			if !r.Held {
				break
			}
			n++
			held = append(held, r)
		}
		for _, r := range held {
			if err := live.Settle(r, 0, 0); err != nil {
				t.Fatal(err)
			}
		}
		return n
	}
	if n := free(); n >= slots-1 || v.Refused != state.InFlight {
		t.Errorf("with the dead replica's lease: %d slots free, refused %v; want fewer than %d", n, v.Refused, slots-1)
	}
	c.add(time.Minute)
	if n := free(); n >= slots-1 {
		t.Errorf("the next minute: %d slots free, want the lease still counted", n)
	}
	c.add(time.Minute)
	if n := free(); n != slots-1 { // its request in flight stays counted, as without leases
		t.Errorf("two minutes on: %d slots free, want %d", n, slots-1)
	}
}

// TestRedisLeasesChurn: two replicas reserve and settle concurrently from leases that run
// out, are taken out with requests in flight and asked for again while others wait; once
// both have given their leases back, every counter holds exactly what was settled.
func TestRedisLeasesChurn(t *testing.T) {
	srv := redistest.Start(t)
	c := newClock(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
	var stores [2]*redisstore.Store
	for i := range stores {
		st, err := redisstore.New(redisstore.Options{URL: srv.URL, Timeout: time.Second, Now: c.now, AsyncSettle: true, LeaseAge: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores[i] = st
	}
	const workers, rounds, tokens, price = 100, 30, 40, 1_000
	key := &state.Level{ID: "key:c", Limits: config.Limits{RPM: 1 << 30, MaxInFlight: 1 << 20, Budget: [4]int64{state.Day: 1e15}}}
	team := &state.Level{ID: "team:c", Limits: config.Limits{TPM: 1 << 40}}
	var wg sync.WaitGroup
	var settled, spent atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := stores[w%2]
			for i := range rounds {
				r := reservation(tokens, price, key, team)
				var v state.Verdict
				if err := st.Reserve(r, &v); err != nil || !r.Held {
					t.Errorf("reserve: %v %+v", err, v)
					return
				}
				real := int64(w+i) % tokens
				if err := st.Settle(r, real, real*price/tokens); err != nil {
					t.Error(err)
					return
				}
				settled.Add(real)
				spent.Add(real * price / tokens)
			}
		}()
	}
	wg.Wait()
	var u state.Usage
	for _, id := range []string{"key:c", "team:c"} {
		for _, st := range stores {
			if err := st.Usage(id, &u); err != nil {
				t.Fatal(err)
			}
		}
		if u.Requests != workers*rounds || u.InFlight != 0 || u.Tokens != settled.Load() || u.Spent[state.Day] != spent.Load() {
			t.Errorf("%s: %+v, want %d requests, %d tokens, %d nano-USD, none in flight", id, u, workers*rounds, settled.Load(), spent.Load())
		}
	}
}
