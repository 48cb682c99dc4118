// Package redisstore is governance's state in Redis, shared by every gateway replica that
// points at the same server. Each reservation is one Lua script run atomically on the
// server, which also applies the settlements this process queued since the last one
// (settlements not picked up within SettleDelay go in one batch script of their own), over every level of the request, with Redis's clock, so that
// replicas never disagree and no read-then-write race exists. The scripts make the same
// decisions as package memstore.
//
// It uses rueidis: on governance's call (one EVALSHA) it measured about 5.9 µs and no
// allocation per call against go-redis's 7.7-9.8 µs and 9 allocations
// (governance/redisstore/clientbench). Each call is bounded by the configured timeout;
// what a request gets when Redis does not answer in time is the governor's on_error
// policy. A level's counters are one hash, "bifrost:gov:" + the level's ID, whose field
// v holds them packed (one field costs the script a third of what a field per counter
// did; a hash with a field per counter, as older versions wrote, is read and carried on,
// but during a rolling upgrade old and new replicas do not share counters); the scripts
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

// poolSize bounds the connections a Store holds to Redis (calls beyond it wait for one);
// warmConns of them are opened by New, so that the first requests do not dial. Replies
// and requests are small: connBuffer is each connection's read and write buffer.
const (
	poolSize   = 64
	warmConns  = 8
	connBuffer = 16 << 10
)

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
	// AsyncSettle makes Settle queue the settlement and return at once, so that a request
	// waits on one round trip to Redis (its reservation), not two. The next reservation
	// this Store makes carries every queued settlement in its own script, applied before
	// its checks; what no reservation picked up within SettleDelay is sent in one batch.
	// Limits and budgets stay exact: a reservation holds its worst case until its
	// settlement lands, and a request that follows another's response on the same replica
	// sees that settlement. Settlements lost to a Redis error are counted in AsyncErrors.
	// Close sends the settlements still queued.
	AsyncSettle bool
	// SettleDelay is how long a queued settlement waits for a reservation to carry it
	// before it is sent on its own (AsyncSettle; default 5 ms). Queuing wakes nothing: a
	// timer fires only for settlements that waited this long. It should exceed the time
	// between two reservations of this process at its usual rate: at 1,000 requests per
	// second, 1 ms sent a third of the settlements in batches of their own (a third more
	// calls to Redis), 5 ms none.
	SettleDelay time.Duration
	// LeaseAge, when above zero, lets this process admit requests from shares of the
	// limits that Redis leases to it, instead of one reservation in Redis per request. A
	// reservation that finds no lease with room asks for one in its own script; Redis
	// grants it only while every level of the request has room for sixteen such leases
	// (so that near a limit every replica reserves request by request again), and counts
	// what is leased and unused as used. A lease is given back when it runs out, when its
	// limits change, and at the latest after LeaseAge or at the end of its minute. Limits
	// and budgets are never exceeded; what is leased to one replica and unused is
	// unavailable to the others until it comes back. The use of a lease is reported when
	// it goes back: Usage on another replica counts it up to LeaseAge (plus SettleDelay)
	// late. It needs AsyncSettle.
	LeaseAge time.Duration
}

// Store is the Redis state.State.
type Store struct {
	client                 rueidis.Client
	reserve, settle, usage *rueidis.Lua
	timeout                time.Duration
	now                    func() time.Time
	async                  bool
	q                      settleQueue
	asyncErrors            atomic.Uint64
	calls, fromLeases      atomic.Uint64
	bufs                   sync.Pool // *call
	leases                 *leases   // nil without LeaseAge
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
	if o.SettleDelay <= 0 {
		o.SettleDelay = 5 * time.Millisecond
	}
	co.DisableCache = true
	// Each call runs on a connection of its own, written and read by the calling
	// goroutine: a request waits on one round trip, not also on the wake-ups of rueidis's
	// pipelining goroutines (writer and reader). Measured at 1,000 calls per second on the
	// 2-core machine, p50 of a reservation: 80-136 us against 123-136 us pipelined.
	co.DisableAutoPipelining = true
	co.BlockingPoolSize = poolSize
	co.ReadBufferEachConn, co.WriteBufferEachConn = connBuffer, connBuffer
	co.Dialer.Timeout = o.Timeout
	co.ConnWriteTimeout = max(o.Timeout, 100*time.Millisecond)
	c, err := rueidis.NewClient(co)
	if err != nil {
		return nil, fmt.Errorf("redisstore: connect: %w", err)
	}
	s := &Store{client: c, timeout: o.Timeout, now: o.Now, async: o.AsyncSettle,
		reserve: rueidis.NewLuaScript(reserveScript), settle: rueidis.NewLuaScript(settleScript), usage: rueidis.NewLuaScript(usageScript)}
	s.bufs.New = func() any { return new(call) }
	s.warm()
	if s.async {
		s.q.start(o.SettleDelay, s.flush)
		if o.LeaseAge > 0 {
			s.leases = newLeases(o.LeaseAge, s.clock, s.queue)
		}
	}
	return s, nil
}

// clock is the time leases are measured in: Options.Now, or the monotonic clock.
func (s *Store) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// queue queues entries to be sent with the next reservation or within SettleDelay, or
// sends them now once the queue is stopped.
func (s *Store) queue(ps []pending) {
	for i, p := range ps {
		if !s.q.add(p) {
			s.send(ps[i:])
			return
		}
	}
}

// send sends entries in batches of maxBatch, counting those lost to an error.
func (s *Store) send(ps []pending) {
	for len(ps) > 0 {
		k := min(len(ps), maxBatch)
		if s.flush(ps[:k]) != nil {
			s.asyncErrors.Add(uint64(k))
		}
		ps = ps[k:]
	}
}

// warm opens warmConns connections with concurrent PINGs, and leaves them in the pool.
func (s *Store) warm() {
	var wg sync.WaitGroup
	for range warmConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
			defer cancel()
			s.client.Do(ctx, s.client.B().Ping().Build()) //nolint:errcheck // a connection that failed is dialed again when needed
		}()
	}
	wg.Wait()
}

func (s *Store) nowMs() string {
	if s.now == nil {
		return "-1"
	}
	return strconv.FormatInt(s.now().UnixMilli(), 10)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Reserve implements state.State. With AsyncSettle, the entries queued so far ride
// along in the same script, before the checks. With LeaseAge, a request that every level's
// lease has room for is admitted without a call to Redis; otherwise the leases of its
// levels go back in its script, which asks for new ones.
func (s *Store) Reserve(r *state.Reservation, v *state.Verdict) error {
	r.Held = false
	r.Lease = [state.MaxLevels]uint64{}
	c := s.bufs.Get().(*call)
	defer s.bufs.Put(c)
	c.pend = c.pend[:0]
	ask := false
	if s.leases != nil {
		var ok bool
		if ok, ask = s.fromLease(r, v, c); ok {
			return nil
		}
		if ask {
			defer s.leases.done(r)
		}
	}
	var sent time.Time // when a lease was asked for: its deadline counts from here
	if ask {
		sent = s.clock()
	}
	c.reset(s.nowMs())
	if s.async {
		c.pend = s.q.take(c.pend, maxBatch)
	}
	carried := uint64(len(c.pend))
	c.appendSettlements()
	want := int64(0)
	if ask {
		want = 1
	}
	c.args = append(c.args, itoa(r.Tokens), itoa(r.Cost), itoa(int64(r.N)), itoa(want))
	for i := 0; i < r.N; i++ {
		l := &r.Levels[i].Limits
		c.args = append(c.args, itoa(int64(c.key(r.Levels[i].ID))), itoa(l.RPM), itoa(l.TPM), itoa(l.MaxInFlight),
			itoa(l.Budget[0]), itoa(l.Budget[1]), itoa(l.Budget[2]), itoa(l.Budget[3]))
		var size [numDims]int64
		if ask {
			size = s.leases.ask(r.Levels[i].ID, r)
		}
		for _, a := range size {
			c.args = append(c.args, itoa(a))
		}
	}
	s.calls.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	out, err := s.reserve.Exec(ctx, s.client, c.keys, c.args).AsIntSlice()
	if err != nil {
		s.asyncErrors.Add(carried) // the entries it carried may be lost
		return fmt.Errorf("redisstore: reserve: %w", err)
	}
	return s.verdict(r, v, out, sent)
}

// fromLease admits r from its levels' leases when they have room, and reports whether
// it did; otherwise it leaves in c.pend the leases it took out, and reports whether the
// caller is to ask for new ones (then it must call s.leases.done). When another
// reservation is asking for a lease of r's levels, it waits for that answer and tries
// once more.
func (s *Store) fromLease(r *state.Reservation, v *state.Verdict, c *call) (ok, ask bool) {
	var wait <-chan struct{}
	if c.pend, ok, ask, wait = s.leases.admit(r, v, c.pend); ok {
		s.fromLeases.Add(1)
		return true, false
	}
	if wait == nil {
		return false, ask
	}
	<-wait // at most the call's timeout
	if c.pend, ok, ask, _ = s.leases.admit(r, v, c.pend); ok {
		s.fromLeases.Add(1)
		s.queue(c.pend) // what the first try took out
		clear(c.pend)
		c.pend = c.pend[:0]
	}
	return ok, ask
}

// verdict reads the reserve script's reply into r and v, and installs the leases it
// granted (sent: when the script was sent).
func (s *Store) verdict(r *state.Reservation, v *state.Verdict, out []int64, sent time.Time) error {
	leased := len(out) == 15+6*r.N && out[14] == 1
	if len(out) != 15 && !leased {
		return fmt.Errorf("redisstore: reserve: %d values in the reply, want 15 or %d", len(out), 15+6*r.N)
	}
	*v = state.Verdict{Refused: state.Refusal(out[0]), Level: max(int(out[1])-1, 0), Period: int(out[2]) - 1,
		RetryAfter:    time.Duration(out[3]) * time.Millisecond,
		LimitRequests: out[4], RemainingRequests: out[5], LimitTokens: out[6], RemainingTokens: out[7],
		Reset: time.Duration(out[8]) * time.Millisecond}
	r.Minute = out[9]
	copy(r.Windows[:], out[10:14])
	r.Held = v.Refused == state.Admitted
	if leased && r.Held {
		var g [state.MaxLevels][numDims]int64
		var rem [state.MaxLevels][2]int64
		for i := 0; i < r.N; i++ {
			e := out[15+6*i:]
			g[i] = [numDims]int64{e[0], e[1], e[2], e[3]}
			rem[i] = [2]int64{e[4], e[5]}
		}
		s.leases.install(r, g[:r.N], rem[:r.N], sent, v.Reset)
	}
	return nil
}

// Settle implements state.State. A level whose share came from a lease still held takes
// the settlement in the lease (reported with its use); the others are settled in Redis.
func (s *Store) Settle(r *state.Reservation, tokens, cost int64) error {
	if !r.Held {
		return nil
	}
	r.Held = false
	var local [state.MaxLevels]bool
	if s.leases != nil {
		local = s.leases.settle(r, tokens, cost)
	}
	p := pending{minute: r.Minute, windows: r.Windows, kind: kindSettle, x: [8]int64{r.Tokens, r.Cost, tokens, cost}}
	for i := 0; i < r.N; i++ {
		if !local[i] {
			p.ids[p.n] = r.Levels[i].ID
			p.n++
		}
	}
	if p.n == 0 {
		return nil
	}
	if s.async && s.q.add(p) {
		return nil
	}
	return s.flush([]pending{p})
}

// flush sends settlements in one script.
func (s *Store) flush(ps []pending) error {
	c := s.bufs.Get().(*call)
	defer s.bufs.Put(c)
	c.reset(s.nowMs())
	c.pend = append(c.pend[:0], ps...)
	c.appendSettlements()
	s.calls.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if err := s.settle.Exec(ctx, s.client, c.keys, c.args).Error(); err != nil {
		return fmt.Errorf("redisstore: settle: %w", err)
	}
	return nil
}

// Counts returns the scripts this Store has run on Redis (reservations, settlement
// batches, usage reads) and the reservations it admitted from leases, with no call.
func (s *Store) Counts() (calls, fromLeases uint64) { return s.calls.Load(), s.fromLeases.Load() }

// AsyncErrors counts the settlements run with AsyncSettle that failed.
func (s *Store) AsyncErrors() uint64 { return s.asyncErrors.Load() + s.q.errors.Load() }

// Usage implements state.State. It does not count what is leased and unused. With
// AsyncSettle it first sends the entries queued in this process, with LeaseAge after
// giving back this process's leases.
func (s *Store) Usage(id string, u *state.Usage) error {
	if s.leases != nil {
		s.queue(s.leases.takeAll(nil, false))
	}
	if s.async {
		if err := s.q.sendAll(); err != nil { // what this process settled before is counted
			return fmt.Errorf("redisstore: usage: %w", err)
		}
	}
	s.calls.Add(1)
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
	if s.leases != nil {
		s.queue(s.leases.takeAll(nil, true))
	}
	if s.async {
		s.q.stop()
	}
	s.client.Close()
	return nil
}
