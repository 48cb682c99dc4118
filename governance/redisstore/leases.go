package redisstore

import (
	"sync"
	"time"

	"github.com/bifrost-gw/bifrost/governance/state"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// Lease sizes, in requests: a level's first lease asks for leaseStart requests (and as
// many times the request's tokens, nano-USD and in-flight slots); the next follow the
// rate at which the last was used (resize), between leaseMin and leaseMax.
const (
	leaseStart = 8
	leaseMin   = 4
	leaseMax   = 1024
)

// Dimensions of a lease's counters.
const (
	dimRequests = iota
	dimTokens
	dimCost
	dimInFlight
	numDims
)

// lease is one level's share of its limits held by this process: what Redis counted as
// leased to it and what it has handed out since.
type lease struct {
	gen    uint64
	limits config.Limits
	// minute and windows are those the lease was granted in; it is used only before
	// deadline, which is at most the end of that minute.
	minute  int64
	windows [state.NumPeriods]int64
	// since is when it was asked for, and granted what Redis leased.
	since   time.Time
	granted [numDims]int64
	// deadline ends the lease's use; minuteEnd is the end of its minute.
	deadline, minuteEnd time.Time
	// left is what the lease can still hand out; used what it handed out (less what
	// settlements gave back). left+used is what Redis leased.
	left, used [numDims]int64
	// remReq and remTok are the requests and tokens that the level had left beyond the
	// lease when it was granted (-1: no limit), for the x-ratelimit-* headers.
	remReq, remTok int64
}

// entry returns the pending report of l's use, which gives back what is left.
func (l *lease) entry(id string) pending {
	p := pending{n: 1, minute: l.minute, windows: l.windows, kind: kindLease}
	p.ids[0] = id
	copy(p.x[:numDims], l.used[:])
	copy(p.x[numDims:], l.left[:])
	return p
}

// retired is a lease taken out while some of its requests were in flight: their
// settlements are summed here and reported in one entry once the last one has come.
type retired struct {
	id          string
	minute      int64
	windows     [state.NumPeriods]int64
	acc         [numDims]int64
	outstanding int64
}

// entry returns the report of what rt's settlements changed: counted use only, nothing
// leased (the lease itself went back when it was taken out). A settlement that crosses
// into a new budget window counts here in the lease's window only.
func (rt *retired) entry() pending {
	p := pending{n: 1, minute: rt.minute, windows: rt.windows, kind: kindLease}
	p.ids[0] = rt.id
	for d := range rt.acc {
		p.x[d], p.x[numDims+d] = rt.acc[d], -rt.acc[d]
	}
	rt.acc = [numDims]int64{}
	return p
}

// leases are the shares of the limits leased to this process, per level ID. A request
// whose levels all hold a lease with room for it is admitted here, with no call to
// Redis. A lease is given back, with the report of its use, when it runs out, when its
// level's limits change, or once it expires (LeaseAge, and the end of its minute), seen
// by a timer that ticks every quarter of LeaseAge while leases are held.
type leases struct {
	age   time.Duration
	tick  time.Duration
	clock func() time.Time
	send  func([]pending)

	mu     sync.Mutex
	m      map[string]*lease
	asking map[string]chan struct{} // levels with a lease asked for: closed at the answer
	// retired holds, by generation, the leases taken out with requests in flight;
	// reports those of them whose last request settled, sent with the next reservation
	// that misses, or by a tick once the first has waited LeaseAge (since).
	retired map[uint64]*retired
	reports []pending
	since   time.Time
	size    map[string]int64
	gen     uint64
	timer   *time.Timer
	armed   bool
	closed  bool
}

// newLeases returns the leases of a Store that uses each for at most age, measured by
// clock, and sends the reports of their use with send.
func newLeases(age time.Duration, clock func() time.Time, send func([]pending)) *leases {
	t := &leases{age: age, tick: max(age/4, time.Millisecond), clock: clock, send: send,
		m: map[string]*lease{}, asking: map[string]chan struct{}{}, retired: map[uint64]*retired{}, size: map[string]int64{}}
	t.timer = time.AfterFunc(time.Hour, t.fire)
	t.timer.Stop()
	return t
}

// admit takes r from its levels' leases if every one has room, filling v, and reports
// whether it did. Otherwise it takes the leases of r's levels out, appending their
// reports to dst (the caller sends them with its reservation), and reports in ask
// whether the caller's reservation is to ask for new leases. Only one reservation at a
// time asks for a level, and it must call done after the answer, so that a burst does
// not lease one replica the room of many; wait, when another is asking for one of r's
// levels, is closed at its answer, and the caller may try again then.
func (t *leases) admit(r *state.Reservation, v *state.Verdict, dst []pending) (out []pending, admitted, ask bool, wait <-chan struct{}) {
	now := t.clock()
	t.mu.Lock()
	defer t.mu.Unlock()
	ok := true
	for i := 0; i < r.N && ok; i++ {
		l := t.m[r.Levels[i].ID]
		ok = l != nil && now.Before(l.deadline) && l.limits == r.Levels[i].Limits &&
			l.left[dimRequests] >= 1 && l.left[dimTokens] >= r.Tokens && l.left[dimCost] >= r.Cost && l.left[dimInFlight] >= 1
	}
	if !ok {
		dst = append(dst, t.reports...)
		clear(t.reports)
		t.reports = t.reports[:0]
		ask = true
		for i := 0; i < r.N; i++ {
			id := r.Levels[i].ID
			if l := t.m[id]; l != nil {
				dst = t.takeOut(id, l, now, dst)
			}
			if ch := t.asking[id]; ch != nil {
				ask, wait = false, ch
			}
		}
		if ask {
			ch := make(chan struct{})
			for i := 0; i < r.N; i++ {
				t.asking[r.Levels[i].ID] = ch
			}
		}
		return dst, false, ask, wait
	}
	need := [numDims]int64{1, r.Tokens, r.Cost, 1}
	*v = state.Verdict{}
	for i := 0; i < r.N; i++ {
		l := t.m[r.Levels[i].ID]
		for d := range need {
			l.left[d] -= need[d]
			l.used[d] += need[d]
		}
		r.Lease[i] = l.gen
		if i == 0 {
			r.Minute, r.Windows = l.minute, l.windows
			v.Reset = l.minuteEnd.Sub(now)
		}
		if lim := l.limits.RPM; lim > 0 {
			if rem := max(l.remReq+l.left[dimRequests], 0); v.LimitRequests == 0 || rem < v.RemainingRequests {
				v.LimitRequests, v.RemainingRequests = lim, rem
			}
		}
		if lim := l.limits.TPM; lim > 0 {
			if rem := max(l.remTok+l.left[dimTokens], 0); v.LimitTokens == 0 || rem < v.RemainingTokens {
				v.LimitTokens, v.RemainingTokens = lim, rem
			}
		}
	}
	r.Held = true
	return dst, true, false, nil
}

// takeOut removes id's lease l and appends the report of its use, which gives back what
// is left, to dst; what its requests still in flight settle is summed in retired.
// The caller holds t.mu.
func (t *leases) takeOut(id string, l *lease, now time.Time, dst []pending) []pending {
	delete(t.m, id)
	t.resize(id, l, now)
	if n := l.used[dimInFlight]; n > 0 {
		t.retired[l.gen] = &retired{id: id, minute: l.minute, windows: l.windows, outstanding: n}
	}
	return append(dst, l.entry(id))
}

// done ends the asking for r's levels that admit reported, waking those who wait.
func (t *leases) done(r *state.Reservation) {
	t.mu.Lock()
	ch := t.asking[r.Levels[0].ID]
	for i := 0; i < r.N; i++ {
		delete(t.asking, r.Levels[i].ID)
	}
	t.mu.Unlock()
	close(ch)
}

// resize sets the size of id's next lease from how l, taken out at now, was used: the
// requests it handed out per second, times half of LeaseAge, so that a lease lasts about
// half its age at the same rate; at most four times larger or smaller than the last.
func (t *leases) resize(id string, l *lease, now time.Time) {
	n := t.size[id]
	used := l.granted[dimRequests] - l.left[dimRequests]
	elapsed := min(max(now.Sub(l.since), time.Millisecond), t.age)
	next := int64(float64(used) * float64(t.age/2) / float64(elapsed))
	t.size[id] = min(max(next, n/4, leaseMin), 4*n, leaseMax)
}

// ask returns the lease to ask for level id with r's request: requests, tokens, nano-USD
// and in-flight slots.
func (t *leases) ask(id string, r *state.Reservation) [numDims]int64 {
	t.mu.Lock()
	n := t.size[id]
	if n == 0 {
		n = leaseStart
		t.size[id] = n
	}
	t.mu.Unlock()
	return [numDims]int64{n, n * r.Tokens, n * r.Cost, n}
}

// install records the leases that Redis granted with r's reservation: per level, the
// shares (g) and the requests and tokens left beyond them (rem). sent is when the call
// was sent and reset the time from then to the end of the minute. A lease that another
// request installed meanwhile for the same level is given back.
func (t *leases) install(r *state.Reservation, g [][numDims]int64, rem [][2]int64, sent time.Time, reset time.Duration) {
	minuteEnd := sent.Add(reset)
	deadline := sent.Add(t.age)
	if minuteEnd.Before(deadline) {
		deadline = minuteEnd
	}
	var back []pending
	t.mu.Lock()
	for i := 0; i < r.N; i++ {
		id := r.Levels[i].ID
		if old := t.m[id]; old != nil {
			back = t.takeOut(id, old, sent, back)
		}
		t.gen++
		t.m[id] = &lease{gen: t.gen, limits: r.Levels[i].Limits, minute: r.Minute, windows: r.Windows,
			since: sent, granted: g[i], deadline: deadline, minuteEnd: minuteEnd, left: g[i], remReq: rem[i][0], remTok: rem[i][1]}
		r.Lease[i] = t.gen
	}
	if !t.armed && !t.closed {
		t.armed = true
		t.timer.Reset(t.tick)
	}
	t.mu.Unlock()
	if len(back) > 0 {
		t.send(back)
	}
}

// settle gives back to the lease that each of r's levels' share came from the part of
// the worst case that the request did not use, and ends its in-flight slot there; for a
// lease already taken out, it sums the same, for one report once its last request has
// settled. It reports in local which levels it settled; the others are settled in Redis.
func (t *leases) settle(r *state.Reservation, tokens, cost int64) (local [state.MaxLevels]bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	back := [numDims]int64{0, r.Tokens - tokens, r.Cost - cost, 1}
	for i := 0; i < r.N; i++ {
		gen := r.Lease[i]
		if gen == 0 {
			continue
		}
		if l := t.m[r.Levels[i].ID]; l != nil && l.gen == gen {
			for d := range back {
				l.left[d] += back[d]
				l.used[d] -= back[d]
			}
			local[i] = true
		} else if rt := t.retired[gen]; rt != nil && rt.id == r.Levels[i].ID {
			for d := range back {
				rt.acc[d] -= back[d]
			}
			if rt.outstanding--; rt.outstanding == 0 {
				delete(t.retired, gen)
				if len(t.reports) == 0 {
					t.since = time.Now()
				}
				t.reports = append(t.reports, rt.entry())
			}
			local[i] = true
		}
	}
	return local
}

// fire runs every tick while leases are held or reports wait: it gives back the leases
// that expired, with the report of their use, and sends the reports of retired leases
// that no reservation carried within LeaseAge.
func (t *leases) fire() {
	now := t.clock()
	var out []pending
	t.mu.Lock()
	for id, l := range t.m {
		if !now.Before(l.deadline) {
			out = t.takeOut(id, l, now, out)
		}
	}
	if len(t.reports) > 0 && time.Since(t.since) >= t.age {
		out = append(out, t.reports...)
		clear(t.reports)
		t.reports = t.reports[:0]
	}
	t.armed = (len(t.m) > 0 || len(t.retired) > 0 || len(t.reports) > 0) && !t.closed
	if t.armed {
		t.timer.Reset(t.tick)
	}
	t.mu.Unlock()
	if len(out) > 0 {
		t.send(out)
	}
}

// takeAll takes every lease out, appending their reports to dst, and the sums of the
// retired leases' settlements so far. With stop, no lease is held, none retired, and no
// timer armed after it: later settlements go to Redis one by one.
func (t *leases) takeAll(dst []pending, stop bool) []pending {
	now := t.clock()
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, l := range t.m {
		dst = t.takeOut(id, l, now, dst)
	}
	dst = append(dst, t.reports...)
	clear(t.reports)
	t.reports = t.reports[:0]
	for gen, rt := range t.retired {
		if rt.acc != [numDims]int64{} {
			dst = append(dst, rt.entry())
		}
		if stop {
			delete(t.retired, gen)
		}
	}
	if stop {
		t.closed = true
		t.armed = false
		t.timer.Stop()
	}
	return dst
}
