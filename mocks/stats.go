package mocks

import "sync/atomic"

// Stats is a snapshot of a Server's counters.
type Stats struct {
	// Total counts every request received, whatever its answer.
	Total uint64
	// InFlight is how many requests are in the handler now (waiting out their
	// latency, say), and MaxInFlight the most there ever were at once. A
	// connection fault that takes the connection over (FaultHang and the
	// stream faults) leaves the handler at once and is not counted.
	InFlight, MaxInFlight int64
	// Requests counts requests per route, keyed by the route's path with
	// the /v1 prefix ("/v1/chat/completions", "/v1/models/{model}"),
	// whether they were served or failed. Requests without the prefix
	// count under the same key.
	Requests map[string]uint64
	// NotFound counts requests to unknown paths.
	NotFound uint64
	// Unauthorized counts requests rejected for a missing or wrong key.
	Unauthorized uint64
	// BadRequests counts requests rejected as invalid (400 or 405).
	BadRequests uint64
	// Injected counts injected failures (FailFirst and the random rates)
	// by status code.
	Injected map[int]uint64
	// FaultsEndedByClient counts fault answers that could only end by the
	// client closing the connection (FaultEndlessLine) and did.
	FaultsEndedByClient uint64
}

// counters holds a Server's live counters. All fields are updated
// atomically and never allocate.
type counters struct {
	total        atomic.Uint64
	inFlight     atomic.Int64 // Stats.InFlight
	maxInFlight  atomic.Int64 // Stats.MaxInFlight
	routes       [numRoutes]atomic.Uint64
	notFound     atomic.Uint64
	unauthorized atomic.Uint64
	badRequests  atomic.Uint64
	injected     [600]atomic.Uint64 // by status code
	// faultsEndedByClient: Stats.FaultsEndedByClient
	faultsEndedByClient atomic.Uint64
}

// enter counts a request into the handler, and leave counts it out.
func (c *counters) enter() {
	n := c.inFlight.Add(1)
	for {
		m := c.maxInFlight.Load()
		if n <= m || c.maxInFlight.CompareAndSwap(m, n) {
			return
		}
	}
}

func (c *counters) leave() { c.inFlight.Add(-1) }

func (c *counters) countInjected(status int) {
	if status >= 0 && status < len(c.injected) {
		c.injected[status].Add(1)
	}
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	st := Stats{
		Total:        c.total.Load(),
		InFlight:     c.inFlight.Load(),
		MaxInFlight:  c.maxInFlight.Load(),
		Requests:     make(map[string]uint64),
		NotFound:     c.notFound.Load(),
		Unauthorized: c.unauthorized.Load(),
		BadRequests:  c.badRequests.Load(),
		Injected:     make(map[int]uint64),

		FaultsEndedByClient: c.faultsEndedByClient.Load(),
	}
	for r := route(1); r < numRoutes; r++ {
		if n := c.routes[r].Load(); n > 0 {
			st.Requests[r.String()] = n
		}
	}
	for code := range c.injected {
		if n := c.injected[code].Load(); n > 0 {
			st.Injected[code] = n
		}
	}
	return st
}
