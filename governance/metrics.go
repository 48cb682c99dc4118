package governance

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// KeyLabel is the label name that, listed in client.prometheus_labels, turns on the
// metrics by virtual key (their number is bounded by the keys in the config).
const KeyLabel = "virtual_key"

// keyStat is one virtual key's counts in this process, kept by name across reloads.
type keyStat struct {
	requests atomic.Int64
	cost     atomic.Int64 // nano-USD
}

// keyStats holds every key's counts by name.
type keyStats struct {
	mu sync.Mutex
	m  map[string]*keyStat
}

// get returns the counts of the key name, made on first use (at configure time).
func (s *keyStats) get(name string) *keyStat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*keyStat{}
	}
	st := s.m[name]
	if st == nil {
		st = &keyStat{}
		s.m[name] = st
	}
	return st
}

// Collector returns the metrics by virtual key: bifrost_virtual_key_requests_total and
// bifrost_virtual_key_cost_usd_total, labelled virtual_key, for the keys of the policy in
// force, when client.prometheus_labels lists "virtual_key". With Redis state it also
// gives bifrost_governance_state_calls_total and
// bifrost_governance_lease_admissions_total.
func (g *Governor) Collector() prometheus.Collector { return keyCollector{g} }

// counter is a state that counts its calls and the reservations it admitted from leases
// (redisstore.Store).
type counter interface {
	Counts() (calls, fromLeases uint64)
}

var (
	keyRequestsDesc = prometheus.NewDesc("bifrost_virtual_key_requests_total",
		"Requests admitted and settled, by virtual key (with client.prometheus_labels: [virtual_key]).", []string{KeyLabel}, nil)
	keyCostDesc = prometheus.NewDesc("bifrost_virtual_key_cost_usd_total",
		"What providers billed, in US dollars, by virtual key (with client.prometheus_labels: [virtual_key]).", []string{KeyLabel}, nil)
	stateCallsDesc = prometheus.NewDesc("bifrost_governance_state_calls_total",
		"Scripts run on the governance state (Redis): reservations, settlement batches and usage reads.", nil, nil)
	leaseAdmitsDesc = prometheus.NewDesc("bifrost_governance_lease_admissions_total",
		"Requests admitted from shares of the limits leased from Redis (governance.state.lease_ms), with no call to it.", nil, nil)
)

type keyCollector struct{ g *Governor }

// Describe implements prometheus.Collector.
func (c keyCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- keyRequestsDesc
	ch <- keyCostDesc
	ch <- stateCallsDesc
	ch <- leaseAdmitsDesc
}

// Collect implements prometheus.Collector.
func (c keyCollector) Collect(ch chan<- prometheus.Metric) {
	if st, ok := c.g.state.(counter); ok {
		calls, leased := st.Counts()
		ch <- prometheus.MustNewConstMetric(stateCallsDesc, prometheus.CounterValue, float64(calls))
		ch <- prometheus.MustNewConstMetric(leaseAdmitsDesc, prometheus.CounterValue, float64(leased))
	}
	p := c.g.Policy()
	if p == nil || !p.byKeyLabel {
		return
	}
	names := make([]string, 0, len(p.byName))
	for n := range p.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		st := p.byName[n].stat
		ch <- prometheus.MustNewConstMetric(keyRequestsDesc, prometheus.CounterValue, float64(st.requests.Load()), n)
		ch <- prometheus.MustNewConstMetric(keyCostDesc, prometheus.CounterValue, float64(st.cost.Load())/1e9, n)
	}
}
